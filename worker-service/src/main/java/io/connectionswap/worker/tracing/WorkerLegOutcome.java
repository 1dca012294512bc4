package io.connectionswap.worker.tracing;

/** How a worker's leg of a generation (one stream from the director) ended, as its span says it. */
public enum WorkerLegOutcome {
    /** The model finished: END was sent. */
    COMPLETED("completed", false),
    /** The model failed: the stream ended with ERROR (the director swaps, or passes a request fault on). */
    MODEL_ERROR("model_error", true),
    /** The director ended the stream: the generation moved to another worker, or its client left. */
    STOPPED("stopped", false),
    /** The stream broke (a bad frame, a reset not from the director). */
    STREAM_ERROR("stream_error", true);

    private final String tag;
    private final boolean failure;

    WorkerLegOutcome(String tag, boolean failure) {
        this.tag = tag;
        this.failure = failure;
    }

    /** The span's {@code outcome} attribute. */
    public String tag() {
        return tag;
    }

    /** Whether the span ends with the error status. */
    public boolean failure() {
        return failure;
    }
}
