package io.connectionswap.worker.tracing;

import io.connectionswap.protocol.tracing.SpanOutcome;

/** How a worker's leg of a generation (one stream from the director) ended, as its span says it. */
public enum WorkerLegOutcome implements SpanOutcome {
    /** The model finished: END was sent. */
    COMPLETED(false),
    /** The model failed: the stream ended with ERROR (the director swaps, or passes a request fault on). */
    MODEL_ERROR(true),
    /** The director ended the stream: the generation moved to another worker, or its client left. */
    STOPPED(false),
    /** The stream broke (a bad frame, a reset not from the director). */
    STREAM_ERROR(true);

    private final boolean failure;

    WorkerLegOutcome(boolean failure) {
        this.failure = failure;
    }

    @Override
    public boolean failure() {
        return failure;
    }
}
