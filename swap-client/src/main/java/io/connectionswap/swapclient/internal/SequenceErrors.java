package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClientListener;

/**
 * A generation's token sequence errors ({@link SequenceCheck}): each counted (for its {@code Completed} event), told
 * to the listener and logged at ERROR, with the generation's logger. Loop-confined, like its {@link GenerationRun}.
 */
final class SequenceErrors {

    private final SwapClientListener listener;
    private final String generationId;
    private int count;

    SequenceErrors(SwapClientListener listener, String generationId) {
        this.listener = listener;
        this.generationId = generationId;
    }

    /** Sequence errors so far. */
    int count() {
        return count;
    }

    /** {@code worker} sent token {@code sequence} again; it was dropped. */
    void duplicate(String worker, int sequence, int expected) {
        occurred(SequenceErrorKind.DUPLICATE);
        LogLine.error(GenerationRun.log).field("generation.id", generationId).field("worker", worker)
                .field("sequence", sequence).field("expected.seq", expected)
                .field("kind", "duplicate").log("token sequence error; dropped");
    }

    /** {@code worker} sent token {@code sequence} after a gap; the generation resumes after the last good token. */
    void gap(String worker, int sequence, int expected) {
        occurred(SequenceErrorKind.GAP);
        LogLine.error(GenerationRun.log).field("generation.id", generationId).field("worker", worker)
                .field("sequence", sequence).field("expected.seq", expected)
                .field("kind", "gap").log("token sequence error; resuming after the last good token");
    }

    /** The generation ended at {@code endSequence} after {@code received} tokens; it resumes after the last one. */
    void endedAhead(String worker, int endSequence, int received) {
        occurred(SequenceErrorKind.GAP);
        LogLine.error(GenerationRun.log).field("generation.id", generationId).field("worker", worker)
                .field("end.seq", endSequence).field("received", received).field("kind", "gap")
                .log("generation ended after tokens this client never received; resuming after the last good "
                        + "token");
    }

    private void occurred(SequenceErrorKind kind) {
        count++;
        listener.sequenceError(kind);
    }
}
