package io.connectionswap.swapclient.internal;

import io.connectionswap.swapclient.GenerationEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.stream.Collectors;

/** A subscriber that keeps every signal of one generation, for the tests of {@link GenerationRun}. */
final class Recorder implements Flow.Subscriber<GenerationEvent> {
    final List<GenerationEvent> events = new ArrayList<>();
    Throwable failure;
    boolean completed;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
    }

    @Override
    public void onNext(GenerationEvent item) {
        events.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
        failure = throwable;
    }

    @Override
    public void onComplete() {
        completed = true;
    }

    String text() {
        return events.stream().filter(e -> e instanceof GenerationEvent.Token)
                .map(e -> ((GenerationEvent.Token) e).text()).collect(Collectors.joining());
    }

    GenerationEvent last() {
        return events.get(events.size() - 1);
    }
}
