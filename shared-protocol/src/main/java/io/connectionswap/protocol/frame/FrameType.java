package io.connectionswap.protocol.frame;

/**
 * The type byte of every frame. Control frames carry JSON; {@link #TOKEN} and {@link #HEARTBEAT} are binary
 * because they are on the hot path.
 */
public enum FrameType {
    /** worker to director, first frame of a registration stream: {@code WorkerRegistration}. */
    REGISTER(0x01),
    /** director to worker: {@code RegistrationAck}. */
    REGISTERED(0x02),
    /** worker to director on its registration stream: it is draining. */
    DRAIN(0x03),
    /** either way on a control stream: 8-byte sender timestamp, echoed by the receiver. */
    HEARTBEAT(0x04),
    /**
     * director to worker, on a link connection's heartbeat stream: {@code TokenStream}, send the CONNECTED, TOKEN and
     * END frames of this connection's generations on this stream, each in a {@link #TAGGED} frame.
     */
    TOKEN_STREAM(0x05),
    /** worker to director on a token stream: 8-byte stream id of the generation, then one whole frame of it. */
    TAGGED(0x06),
    /** director to worker on a relayed stream whose tokens go on the token stream: {@code Pause}, back-pressure. */
    PAUSE(0x07),
    /** client to director, first frame of a generation stream: {@code GenerationRequest}. */
    GENERATE(0x10),
    /** director to worker, first frame of a relayed stream: {@code WorkerAssignment}. */
    ASSIGNMENT(0x11),
    /** worker to client (relayed): which worker serves the stream. */
    CONNECTED(0x12),
    /** worker to client (relayed): 4-byte sequence number then the token's UTF-8 text. */
    TOKEN(0x13),
    /** worker to client (relayed): the generation is complete. */
    END(0x14),
    /** director to client: the serving worker failed; resume on a new stream. */
    RETRY(0x15),
    /** any peer: the stream is ended because of an error, with an {@code ErrorCode}. */
    ERROR(0x16),
    /** client to director, first frame of a stream: {@code StatusRequest}. */
    STATUS_REQUEST(0x17),
    /** director to client, the answer: {@code ClusterStatus}. */
    STATUS(0x18),
    /** director to client on the control stream: {@code GoAway}, this director is shutting down. */
    GOAWAY(0x19);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Returns the type for a wire code, or {@code null} when the code is unknown. */
    public static FrameType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** Frames that carry a whole request (prompt, delivered text): they have the larger request limit. */
    public boolean carriesRequest() {
        return this == GENERATE || this == ASSIGNMENT;
    }
}
