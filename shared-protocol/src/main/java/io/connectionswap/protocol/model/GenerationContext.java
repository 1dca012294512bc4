package io.connectionswap.protocol.model;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import java.util.List;

/**
 * Everything a {@link ModelBackend} needs for one leg of a generation: a new generation, or the continuation of one
 * that moved from another worker.
 *
 * @param generationId  stable across every worker that serves the generation
 * @param model         the model asked for, or null (the backend's default)
 * @param prompt        the text to continue: the completion prompt, or the chat messages rendered by
 *                      {@link ChatTemplate}
 * @param messages      the chat messages, or null for a completion
 * @param sampling      token budget ({@code maxTokens} counts the whole generation) and sampling parameters
 * @param resumeAfter   tokens already delivered to the client (0 for a new generation); the backend produces tokens
 *                      {@code resumeAfter + 1 .. maxTokens}
 * @param deliveredText the text of those tokens, exactly as the client received it ("" for a new generation)
 * @param traceparent   W3C trace context, or null
 */
public record GenerationContext(String generationId, String model, String prompt, List<ChatMessage> messages,
                                SamplingParameters sampling, int resumeAfter, String deliveredText,
                                String traceparent) {

    public GenerationContext {
        if (generationId == null || prompt == null || sampling == null) {
            throw new IllegalArgumentException("generationId, prompt and sampling are required");
        }
        if (resumeAfter < 0 || resumeAfter > sampling.maxTokens()) {
            throw new IllegalArgumentException("resumeAfter: " + resumeAfter + " (expected: 0 to " + sampling.maxTokens() + ")");
        }
        deliveredText = deliveredText == null ? "" : deliveredText;
        messages = messages == null ? null : List.copyOf(messages);
    }

    public static GenerationContext of(GenerationRequest request) {
        return new GenerationContext(request.generationId(), request.model(), request.promptText(), request.messages(),
                request.sampling(), request.resumeAfter(), request.deliveredText(), request.traceparent());
    }

    public boolean isResume() {
        return resumeAfter > 0;
    }

    /** Tokens still to produce in this leg. */
    public int remainingTokens() {
        return sampling.maxTokens() - resumeAfter;
    }

    /** What the model continues from: the prompt followed by the text already delivered. */
    public String continuationPrompt() {
        return prompt + deliveredText;
    }
}
