package io.connectionswap.client.gateway;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import java.util.List;

/**
 * A validated {@code /v1/completions} or {@code /v1/chat/completions} request.
 *
 * @param chat         a chat request ({@code messages}) rather than a completion ({@code prompt})
 * @param model        the model asked for
 * @param prompt       the completion prompt, or null
 * @param messages     the chat messages, or null
 * @param sampling     token budget and sampling parameters, passed through to the worker
 * @param stream       answer with Server-Sent Events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with {@code usage}
 */
public record OpenAiRequest(boolean chat, String model, String prompt, List<ChatMessage> messages,
                            SamplingParameters sampling, boolean stream, boolean includeUsage) {

    /** The protocol request of a new generation. */
    public GenerationRequest toGeneration(String generationId) {
        return toGeneration(generationId, null);
    }

    /** The protocol request of a new generation in the trace {@code traceparent} names (null: none). */
    public GenerationRequest toGeneration(String generationId, String traceparent) {
        return new GenerationRequest(generationId, model, prompt, messages, sampling, 0, null, null, 0, traceparent, false);
    }
}
