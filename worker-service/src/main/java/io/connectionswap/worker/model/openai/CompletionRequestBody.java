package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON body of {@code POST /v1/completions} for one leg of a generation. A new generation sends the prompt (a
 * chat request's messages rendered by {@code ChatTemplate}); a resume sends the prompt followed by the text already
 * delivered, with {@code max_tokens} reduced by the tokens delivered, so the upstream continues exactly where the
 * failed worker stopped. Sampling parameters go as given; {@code stream_options.include_usage} asks for token
 * counts.
 */
final class CompletionRequestBody {

    private CompletionRequestBody() {
    }

    static byte[] json(JsonMapper json, GenerationContext context, UpstreamSettings settings) {
        SamplingParameters sampling = context.sampling();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", settings.model());
        body.put("prompt", context.messages() == null ? context.continuationPrompt()
                : settings.chatFormat().render(context.messages()) + context.deliveredText());
        body.put("max_tokens", context.remainingTokens());
        body.put("stream", true);
        if (settings.includeUsage()) {
            body.put("stream_options", Map.of("include_usage", true));
        }
        putIfSet(body, "temperature", sampling.temperature());
        putIfSet(body, "top_p", sampling.topP());
        List<String> stop = sampling.stopSequences();
        if (!stop.isEmpty()) {
            body.put("stop", stop);
        }
        putIfSet(body, "seed", sampling.seed());
        putIfSet(body, "frequency_penalty", sampling.frequencyPenalty());
        putIfSet(body, "presence_penalty", sampling.presencePenalty());
        putIfSet(body, "logit_bias", sampling.logitBias());
        putIfSet(body, "user", sampling.user());
        return json.writeValueAsBytes(body);
    }

    private static void putIfSet(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }
}
