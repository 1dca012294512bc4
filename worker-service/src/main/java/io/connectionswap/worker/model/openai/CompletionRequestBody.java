package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON body of {@code POST /v1/completions} for one leg of a generation. A new generation sends the prompt (a
 * chat request's messages rendered in the settings' {@code ChatFormat}); a resume sends the prompt followed by the text already
 * delivered, with {@code max_tokens} reduced by the tokens delivered, so the upstream continues exactly where the
 * failed worker stopped. Sampling parameters go as given; {@code stream_options.include_usage} asks for token
 * counts.
 */
final class CompletionRequestBody {

    private CompletionRequestBody() {
    }

    /** The body of a leg that may generate {@code maxTokens} tokens. */
    static byte[] json(JsonMapper json, GenerationContext context, UpstreamSettings settings, int maxTokens) {
        Map<String, Object> body = common(context, settings, maxTokens);
        body.put("stream", true);
        if (settings.includeUsage()) {
            body.put("stream_options", Map.of("include_usage", true));
        }
        putSampling(body, context.sampling(), context.sampling().stopSequences());
        return json.writeValueAsBytes(body);
    }

    /**
     * The body of {@link StopAfterLastToken}'s question: the next {@code maxTokens} tokens after the delivered text,
     * not streamed and without the stop sequences (the worker looks for them in the answer).
     */
    static byte[] lookAhead(JsonMapper json, GenerationContext context, UpstreamSettings settings, int maxTokens) {
        Map<String, Object> body = common(context, settings, maxTokens);
        body.put("stream", false);
        putSampling(body, context.sampling(), List.of());
        return json.writeValueAsBytes(body);
    }

    private static Map<String, Object> common(GenerationContext context, UpstreamSettings settings, int maxTokens) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", settings.model());
        body.put("prompt", prompt(context, settings) + context.deliveredText());
        body.put("max_tokens", maxTokens);
        return body;
    }

    /** The prompt before the delivered text: a completion's, or a chat's messages rendered. */
    static String prompt(GenerationContext context, UpstreamSettings settings) {
        return context.messages() == null ? context.prompt() : settings.chatFormat().render(context.messages());
    }

    private static void putSampling(Map<String, Object> body, SamplingParameters sampling, List<String> stop) {
        putIfSet(body, "temperature", sampling.temperature());
        putIfSet(body, "top_p", sampling.topP());
        if (!stop.isEmpty()) {
            body.put("stop", stop);
        }
        putIfSet(body, "seed", sampling.seed());
        putIfSet(body, "frequency_penalty", sampling.frequencyPenalty());
        putIfSet(body, "presence_penalty", sampling.presencePenalty());
        putIfSet(body, "logit_bias", sampling.logitBias());
        putIfSet(body, "user", sampling.user());
    }

    private static void putIfSet(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }
}
