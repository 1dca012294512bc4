package io.connectionswap.swapclient;

import io.connectionswap.protocol.frame.ErrorCode;

/**
 * Why a generation ended without completing, as the {@code onError} signal of its publisher.
 *
 * <p>{@link #code()} is the protocol's {@link ErrorCode}: a request fault ({@link ErrorCode#isRequestFault()}:
 * MODEL_NOT_FOUND, BAD_REQUEST, REQUEST_TOO_LARGE, ...) is final everywhere; {@link ErrorCode#NO_HEALTHY_WORKER}
 * means nothing could serve the generation within {@link GenerationOptions#noWorkerWait()} (no healthy worker, or
 * no director reachable: then the message gives the connection's last problem, such as the address that did not
 * answer or the TLS handshake that failed, or that the client was never started) and a later attempt may succeed;
 * {@link ErrorCode#MIGRATION_LIMIT} means it moved between workers as often as the director allows;
 * {@link ErrorCode#CANCELLED} means the client was closed under it.
 */
public final class GenerationException extends RuntimeException {

    private final ErrorCode code;
    private final int deliveredTokens;

    public GenerationException(ErrorCode code, String message, int deliveredTokens) {
        super(code + ": " + message);
        this.code = code;
        this.deliveredTokens = deliveredTokens;
    }

    /** The protocol's reason. */
    public ErrorCode code() {
        return code;
    }

    /** Tokens delivered to the subscriber before the failure. */
    public int deliveredTokens() {
        return deliveredTokens;
    }

    /** The message without the code prefix. */
    public String detail() {
        String message = getMessage();
        int colon = message.indexOf(": ");
        return colon < 0 ? message : message.substring(colon + 2);
    }
}
