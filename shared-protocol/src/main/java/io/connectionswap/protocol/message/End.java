package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** The generation is complete; {@code lastSequence} is its final token. */
public record End(String generationId, int lastSequence) implements Message {

    public End {
        Message.require(generationId, "generationId");
    }

    @Override
    public FrameType frameType() {
        return FrameType.END;
    }
}
