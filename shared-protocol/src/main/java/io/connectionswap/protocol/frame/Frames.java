package io.connectionswap.protocol.frame;

/** Layout constants of a frame: {@code u8 type | u32 payload length | payload}. */
public final class Frames {

    /** Bytes before the payload: the type byte and the 4-byte payload length. */
    public static final int HEADER_BYTES = 5;

    /** Default largest payload of a token or control frame; a bigger frame ends the stream with FRAME_TOO_LARGE. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

    /**
     * Default largest payload of a GENERATE or ASSIGNMENT frame, which carry the prompt and, on a resume, the text
     * delivered so far; a bigger one ends the stream with REQUEST_TOO_LARGE.
     */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

    /** ALPN protocol id spoken on every QUIC connection of the system. */
    public static final String ALPN = "connection-swap/1";

    private Frames() {
    }
}
