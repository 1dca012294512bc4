package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.testsupport.llm.Behaviour;
import io.connectionswap.testsupport.llm.GreedyLlmServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The backend's readiness follows the upstream's {@code GET /models}, checked in the background. */
class UpstreamHealthTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @Test
    void downWhenTheUpstreamIsGoneAndUpAgainWhenItIsBack() throws Exception {
        GreedyLlmServer llm = GreedyLlmServer.start(0, "greedy-1", Behaviour.DEFAULT);
        int port = llm.port();
        try (OpenAiBackend backend = OpenAiBackendTest.backend(llm.baseUrl(), settings -> settings)) {
            await("up").atMost(DEADLINE).until(backend::isReady);
            assertThat(backend.problem()).isNull();
            assertThat(backend.healthDetails()).containsEntry("upstream", "UP")
                    .containsEntry("upstreamUrl", "http://127.0.0.1:" + port + "/v1")
                    .containsEntry("upstreamModel", "greedy-1")
                    .containsEntry("upstreamListsModel", true)
                    .containsEntry("upstreamHttpStatus", 200);

            llm.close();
            await("down").atMost(DEADLINE).until(() -> !backend.isReady());
            assertThat(backend.problem()).as("for operators: names the URL")
                    .startsWith("GET http://127.0.0.1:" + port + "/v1/models: cannot connect to upstream: ");
            Map<String, Object> details = backend.healthDetails();
            assertThat(details).containsEntry("upstream", "DOWN")
                    .containsEntry("upstreamUrl", "http://127.0.0.1:" + port + "/v1");
            assertThat((String) details.get("upstreamProblem")).contains("cannot connect to upstream");

            llm = GreedyLlmServer.start(port, "greedy-1", Behaviour.DEFAULT);
            await("up again").atMost(DEADLINE).until(backend::isReady);
        } finally {
            llm.close();
        }
    }

    @Test
    void downWhileTheUpstreamAnswers5xx() throws Exception {
        try (ScriptedUpstream scripted = new ScriptedUpstream();
             OpenAiBackend backend = OpenAiBackendTest.backend(scripted.baseUrl(), settings -> settings)) {
            await("up").atMost(DEADLINE).until(backend::isReady);
            assertThat(backend.healthDetails()).containsEntry("upstreamListsModel", false);

            scripted.models(503);
            await("down").atMost(DEADLINE).until(() -> !backend.isReady());
            assertThat(backend.problem()).isEqualTo("GET " + scripted.baseUrl() + "/models answered HTTP 503: "
                    + "models are unavailable");
            assertThat(backend.healthDetails()).containsEntry("upstreamHttpStatus", 503);

            scripted.models(200);
            await("up again").atMost(DEADLINE).until(backend::isReady);
        }
    }
}
