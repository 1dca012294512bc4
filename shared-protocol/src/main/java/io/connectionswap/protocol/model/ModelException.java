package io.connectionswap.protocol.model;

import io.connectionswap.protocol.frame.ErrorCode;

/**
 * A generation failed in the model. The code decides what happens next: a request fault
 * ({@link ErrorCode#isRequestFault()}: BAD_REQUEST, UPSTREAM_REJECTED, RESUME_MISMATCH, ...) goes back to the
 * client as a final error; anything else (UPSTREAM_FAILED, INTERNAL) makes the director move the generation to
 * the next worker.
 *
 * <p>The message travels on: to the director, into the client's error and the gateway's JSON error body. It must
 * not name internal hosts; what only the worker's operators should see (the URL of the upstream that failed) goes
 * in {@link #upstream()}, which the worker logs and never sends.
 */
public final class ModelException extends RuntimeException {

    private final ErrorCode code;
    private final String upstream;

    public ModelException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public ModelException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, cause);
    }

    /**
     * @param upstream what the model talked to when it failed (an upstream's URL), for the worker's log only; or
     *                 null
     */
    public ModelException(ErrorCode code, String message, String upstream, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.upstream = upstream;
    }

    public ErrorCode code() {
        return code;
    }

    /** What the model talked to when it failed (an upstream's URL), or null: for the worker's log, never sent on. */
    public String upstream() {
        return upstream;
    }
}
