package io.connectionswap.protocol.frame;

/**
 * Why a stream was ended. The numeric value is also used as the QUIC application error code when a stream
 * is reset, so a peer that only sees the reset still learns the reason.
 *
 * <p>A code is a <em>request fault</em> when the request itself cannot be served (too large, malformed, rejected
 * by the model): the director passes such an error from a worker to the client as final, never swaps the stream for
 * it and never holds it against the worker's health. Any other error from a worker is the worker's failure: the
 * director moves the stream to the next worker.
 */
public enum ErrorCode {
    FRAME_TOO_LARGE(0x101, true),
    UNKNOWN_FRAME_TYPE(0x102, false),
    TRUNCATED_FRAME(0x103, false),
    MALFORMED_MESSAGE(0x104, true),
    UNEXPECTED_MESSAGE(0x105, false),
    /** No worker can take the stream now; the client waits and asks again. */
    NO_HEALTHY_WORKER(0x106, false),
    PEER_NOT_ALLOWED(0x107, false),
    /** The sender is shutting down (a draining worker, a director that stops). */
    SHUTTING_DOWN(0x108, false),
    CANCELLED(0x109, false),
    /** A GENERATE or ASSIGNMENT frame over the request limit. */
    REQUEST_TOO_LARGE(0x10a, true),
    /** Parameters the model cannot serve. */
    BAD_REQUEST(0x10b, true),
    /** No worker, healthy or not, serves the requested model. */
    MODEL_NOT_FOUND(0x10c, true),
    /** The generation moved to another worker as often as {@code CONNECTION_SWAP_MIGRATION_LIMIT} allows. */
    MIGRATION_LIMIT(0x10d, false),
    /** The worker's upstream model server refused the request (HTTP 4xx). */
    UPSTREAM_REJECTED(0x10e, true),
    /** The worker's upstream model server failed (refused connection, 5xx, stream cut, timeout): swap. */
    UPSTREAM_FAILED(0x10f, false),
    /** The delivered text of a resume does not match what the model produced: the resume chain is corrupt. */
    RESUME_MISMATCH(0x110, true),
    /** A stream sent no complete first frame in time, or held a frame it began incomplete too long. */
    STREAM_TIMEOUT(0x111, false),
    /** The peer stopped reading; its stream was ended to bound memory. */
    TOO_SLOW(0x112, false),
    /** A limit (connections, streams) is reached; try later or elsewhere. */
    OVERLOADED(0x113, false),
    INTERNAL(0x1ff, false);

    private final int code;
    private final boolean requestFault;

    ErrorCode(int code, boolean requestFault) {
        this.code = code;
        this.requestFault = requestFault;
    }

    public int code() {
        return code;
    }

    /** The request cannot be served anywhere: never a reason to swap or to doubt a worker. */
    public boolean isRequestFault() {
        return requestFault;
    }

    /** The code for a QUIC application error code, or null. */
    public static ErrorCode fromCode(long code) {
        for (ErrorCode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
