package io.connectionswap.testsupport.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The test server speaks the OpenAI wire format, and its text depends on every character before it. */
class GreedyLlmServerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void nextTokenDependsOnTheWholePrefix() {
        String text = "The quick brown fox";
        assertThat(GreedyLlm.complete(text, 20)).isEqualTo(GreedyLlm.complete(text, 20));
        // a continuation that drops one character of what was already said goes on differently
        String said = text + GreedyLlm.complete(text, 10);
        String continued = GreedyLlm.complete(said, 10);
        String afterLoss = GreedyLlm.complete(said.substring(0, said.length() - 1), 10);
        assertThat(continued).isNotEqualTo(afterLoss);
        assertThat(GreedyLlm.complete(text, 20)).isEqualTo(GreedyLlm.complete(text, 10) + continued);
    }

    @Test
    void streamsTheSameTextAsOneBodyThenDone() throws Exception {
        try (GreedyLlmServer server = GreedyLlmServer.start(0, "greedy-1", Behaviour.DEFAULT)) {
            String request = "{\"model\":\"greedy-1\",\"prompt\":\"Once upon\",\"max_tokens\":12,\"stream\":true,"
                    + "\"stream_options\":{\"include_usage\":true}}";
            HttpResponse<java.util.stream.Stream<String>> response = http.send(post(server, request),
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            List<String> data = response.body().filter(line -> line.startsWith("data: ")).map(line -> line.substring(6))
                    .collect(Collectors.toList());
            assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
            StringBuilder text = new StringBuilder();
            String finish = null;
            for (String event : data.subList(0, data.size() - 1)) {
                JsonNode chunk = JSON.readTree(event);
                for (JsonNode choice : chunk.path("choices")) {
                    text.append(choice.path("text").asString());
                    if (!choice.path("finish_reason").isNull()) {
                        finish = choice.path("finish_reason").asString();
                    }
                }
                if (chunk.has("usage")) {
                    assertThat(chunk.path("usage").path("completion_tokens").asInt()).isEqualTo(12);
                }
            }
            assertThat(finish).isEqualTo("length");
            assertThat(text.toString()).isEqualTo(GreedyLlm.complete("Once upon", 12));

            HttpResponse<String> whole = http.send(post(server, "{\"model\":\"greedy-1\",\"prompt\":\"Once upon\","
                    + "\"max_tokens\":12}"), HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(whole.body()).at("/choices/0/text").asString()).isEqualTo(text.toString());
        }
    }

    @Test
    void injectedFailuresAndBadRequests() throws Exception {
        try (GreedyLlmServer server = GreedyLlmServer.start(0, "greedy-1", Behaviour.DEFAULT)) {
            assertThat(http.send(post(server, "{\"model\":\"other\",\"prompt\":\"x\",\"max_tokens\":1}"),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            assertThat(http.send(post(server, "{\"model\":\"greedy-1\",\"max_tokens\":1}"),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
            server.behaviour(new Behaviour(0, 0, 0, true, false, 0));
            HttpResponse<String> failed = http.send(post(server, "{\"model\":\"greedy-1\",\"prompt\":\"x\",\"max_tokens\":1}"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(failed.body()).at("/error/message").asString()).isEqualTo("injected failure");
        }
    }

    @Test
    void recordsWhenEachStreamedTokenWasWrittenByTheKeyOfTheTextBeforeIt() throws Exception {
        try (GreedyLlmServer server = GreedyLlmServer.start(0, "greedy-1", Behaviour.DEFAULT, true)) {
            long before = java.time.Instant.now().toEpochMilli() * 1000;
            HttpResponse<String> response = http.send(post(server,
                    "{\"model\":\"greedy-1\",\"prompt\":\"Stamp me\",\"max_tokens\":4,\"stream\":true}"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            HttpRequest emits = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/admin/emits"))
                    .GET().build();
            JsonNode notes = JSON.readTree(http.send(emits, HttpResponse.BodyHandlers.ofString()).body());
            String text = "Stamp me";
            for (int i = 0; i < 4; i++) {
                JsonNode micros = notes.path(Long.toString(GreedyLlm.key(text)));
                assertThat(micros.isNumber()).as("emit of token %d", i + 1).isTrue();
                assertThat(micros.asLong()).isGreaterThanOrEqualTo(before - 1000);
                text += GreedyLlm.next(text);
            }
            assertThat(notes.size()).isEqualTo(4);
            // handed over once, then forgotten
            assertThat(JSON.readTree(http.send(emits, HttpResponse.BodyHandlers.ofString()).body()).size()).isZero();
        }
    }

    private static HttpRequest post(GreedyLlmServer server, String body) {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + "/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
