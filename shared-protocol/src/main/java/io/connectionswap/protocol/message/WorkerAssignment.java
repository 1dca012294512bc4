package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director hands a stream to a worker: produce tokens {@code request.resumeAfter() + 1 .. maxTokens} of the
 * generation. {@code streamId} and {@code connectionId} are the director's names for the client's stream and
 * connection, echoed in the worker's CONNECTED frame and logs.
 */
public record WorkerAssignment(long streamId, String connectionId, GenerationRequest request) implements Message {

    public WorkerAssignment {
        Message.require(connectionId, "connectionId");
        if (request == null) {
            throw new IllegalArgumentException("request is required");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.ASSIGNMENT;
    }
}
