package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** Every message of the protocol; each maps to exactly one frame type. */
public sealed interface Message permits WorkerRegistration, RegistrationAck, Drain, Heartbeat, GenerationRequest,
        WorkerAssignment, Connected, Token, End, Retry, StreamError, StatusRequest, ClusterStatus, GoAway, TokenStream,
        Pause {

    FrameType frameType();

    /** Fails with an IllegalArgumentException naming the field when a required text is missing. */
    static String require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    static int requireNonNegative(int value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: >= 0)");
        }
        return value;
    }
}
