package io.connectionswap.swapclient.internal;

import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClientListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link SwapClientListener} that keeps what each hook was told, for the tests of {@link GenerationRun}. */
final class CountingListener implements SwapClientListener {
    final List<Long> firstTokens = new ArrayList<>();
    final List<Long> gaps = new ArrayList<>();
    int tokens;
    int completed;
    int noWorker;
    final List<String> swaps = new ArrayList<>();
    final List<SequenceErrorKind> sequenceErrors = new ArrayList<>();

    @Override
    public void tokenReceived() {
        tokens++;
    }

    @Override
    public void timeToFirstToken(long nanos) {
        firstTokens.add(nanos);
    }

    @Override
    public void tokenGap(long nanos) {
        gaps.add(TimeUnit.NANOSECONDS.toMillis(nanos));
    }

    @Override
    public void swapped(String reason) {
        swaps.add(reason);
    }

    @Override
    public void sequenceError(SequenceErrorKind kind) {
        sequenceErrors.add(kind);
    }

    @Override
    public void generationCompleted() {
        completed++;
    }

    @Override
    public void noHealthyWorker() {
        noWorker++;
    }
}
