package io.connectionswap.protocol.message;

import io.connectionswap.protocol.frame.FrameType;

/**
 * The client asks for a generation, or to resume one.
 *
 * @param generationId stable across every stream of one generation
 * @param prompt       the prompt
 * @param maxTokens    tokens in the whole generation
 * @param resumeAfter  last sequence number the client received; 0 for a new generation
 * @param avoidWorker  label of the worker that just failed this generation, or null
 */
public record GenerationRequest(String generationId, String prompt, int maxTokens, int resumeAfter,
                                String avoidWorker) implements Message {

    public GenerationRequest {
        Message.require(generationId, "generationId");
        Message.require(prompt, "prompt");
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: > 0)");
        }
        Message.requireNonNegative(resumeAfter, "resumeAfter");
        if (resumeAfter > maxTokens) {
            throw new IllegalArgumentException("resumeAfter: " + resumeAfter + " (expected: <= maxTokens " + maxTokens + ")");
        }
    }

    public boolean isResume() {
        return resumeAfter > 0;
    }

    @Override
    public FrameType frameType() {
        return FrameType.GENERATE;
    }
}
