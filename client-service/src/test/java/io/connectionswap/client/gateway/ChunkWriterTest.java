package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.GenerationEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The chunks of a streamed chat completion, as OpenAI sends them: with {@code stream_options.include_usage} every
 * chunk has {@code "usage": null} and one last chunk with empty {@code choices} carries the counts; without it no
 * chunk has a {@code usage} field.
 */
class ChunkWriterTest {

    @Test
    void withIncludeUsageEveryChunkSaysUsageNullAndTheLastHasTheCounts() {
        List<JsonNode> chunks = stream(true);

        assertThat(chunks).hasSize(5); // role, two tokens, finish reason, usage
        for (JsonNode chunk : chunks.subList(0, 4)) {
            assertThat(chunk.has("usage")).as("usage field in %s", chunk).isTrue();
            assertThat(chunk.get("usage").isNull()).as("usage in %s", chunk).isTrue();
            assertThat(chunk.get("choices")).hasSize(1);
        }
        JsonNode last = chunks.get(4);
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.path("usage").path("prompt_tokens").asInt()).isEqualTo(7);
        assertThat(last.path("usage").path("completion_tokens").asInt()).isEqualTo(2);
        assertThat(last.path("usage").path("total_tokens").asInt()).isEqualTo(9);
    }

    @Test
    void withoutIncludeUsageNoChunkHasAUsageField() {
        List<JsonNode> chunks = stream(false);

        assertThat(chunks).hasSize(4);
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.has("usage")).as("usage in %s", chunk).isFalse());
        assertThat(chunks.get(3).path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
    }

    private static List<JsonNode> stream(boolean includeUsage) {
        OpenAiRequest request = new OpenAiRequest(true, "stand-in", null,
                List.of(new ChatMessage("user", "Say two words.")), SamplingParameters.maxTokens(8), true, includeUsage);
        ChunkWriter writer = new ChunkWriter(request, new OpenAiResponses(request, "gen-1", 1_800_000_000L));
        List<GenerationEvent> events = List.of(
                new GenerationEvent.Assigned("worker-a", "conn-1", 4, "stand-in", 0),
                new GenerationEvent.Token(1, "Two", "worker-a"),
                new GenerationEvent.Token(2, " words", "worker-a"),
                new GenerationEvent.Completed("stop", new Usage(7, 2), 2, 0));
        List<JsonNode> chunks = new ArrayList<>();
        for (GenerationEvent event : events) {
            writer.sse(event).forEach(data -> chunks.add(OpenAiResponses.JSON.readTree(data)));
        }
        return chunks;
    }
}
