package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The {@code [connected]} frame of the original protocol: which worker now serves the stream, on which client connection, and the
 * model it serves the generation with.
 */
public record Connected(String worker, String connectionId, long streamId, String generationId, int resumeAfter,
                        String model) implements Message {

    public Connected {
        Message.require(worker, "worker");
        Message.require(connectionId, "connectionId");
        Message.require(generationId, "generationId");
    }

    @Override
    public FrameType frameType() {
        return FrameType.CONNECTED;
    }
}
