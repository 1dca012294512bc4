package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** The director accepted a registration; {@code workers} is how many workers it now knows. */
public record RegistrationAck(String directorId, int workers) implements Message {

    public RegistrationAck {
        Message.require(directorId, "directorId");
    }

    @Override
    public FrameType frameType() {
        return FrameType.REGISTERED;
    }
}
