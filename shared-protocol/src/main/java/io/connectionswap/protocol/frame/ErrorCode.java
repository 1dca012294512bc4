package io.connectionswap.protocol.frame;

/**
 * Why a stream was ended. The numeric value is also used as the QUIC application error code when a stream
 * is reset, so a peer that only sees the reset still learns the reason.
 */
public enum ErrorCode {
    FRAME_TOO_LARGE(0x101),
    UNKNOWN_FRAME_TYPE(0x102),
    TRUNCATED_FRAME(0x103),
    MALFORMED_MESSAGE(0x104),
    UNEXPECTED_MESSAGE(0x105),
    NO_HEALTHY_WORKER(0x106),
    PEER_NOT_ALLOWED(0x107),
    SHUTTING_DOWN(0x108),
    CANCELLED(0x109),
    INTERNAL(0x1ff);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
