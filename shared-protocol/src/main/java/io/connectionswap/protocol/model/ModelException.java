package io.connectionswap.protocol.model;

import io.connectionswap.protocol.frame.ErrorCode;

/**
 * A generation failed in the model. The code decides what happens next: a request fault
 * ({@link ErrorCode#isRequestFault()}: BAD_REQUEST, UPSTREAM_REJECTED, RESUME_MISMATCH, ...) goes back to the
 * client as a final error; anything else (UPSTREAM_FAILED, INTERNAL) makes the director move the generation to
 * the next worker.
 */
public final class ModelException extends RuntimeException {

    private final ErrorCode code;

    public ModelException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ModelException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
