package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/** A worker is shutting down: take no new streams to it and move its streams away at a token boundary. */
public record Drain(String label, String reason) implements Message {

    public Drain {
        Message.require(label, "label");
    }

    @Override
    public FrameType frameType() {
        return FrameType.DRAIN;
    }
}
