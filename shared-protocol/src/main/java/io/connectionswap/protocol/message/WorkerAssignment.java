package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The director hands a stream to a worker: produce tokens {@code resumeAfter + 1 .. maxTokens} of the
 * generation. {@code streamId} and {@code connectionId} are the director's names for the client's stream
 * and connection, echoed in the worker's CONNECTED frame and logs.
 */
public record WorkerAssignment(long streamId, String connectionId, String generationId, String prompt, int maxTokens,
                               int resumeAfter) implements Message {

    public WorkerAssignment {
        Message.require(connectionId, "connectionId");
        Message.require(generationId, "generationId");
        Message.require(prompt, "prompt");
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: > 0)");
        }
        Message.requireNonNegative(resumeAfter, "resumeAfter");
    }

    @Override
    public FrameType frameType() {
        return FrameType.ASSIGNMENT;
    }
}
