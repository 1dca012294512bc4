package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.connectionswap.testsupport.llm.Behaviour;
import io.connectionswap.testsupport.llm.GreedyLlmServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
            // a check in flight as the server stops may fail mid-answer ("upstream connection failed"): the next one
            // cannot connect
            await("down, cannot connect").atMost(DEADLINE).untilAsserted(() -> {
                assertThat(backend.isReady()).isFalse();
                assertThat(backend.problem()).as("for operators: names the URL")
                        .startsWith("GET http://127.0.0.1:" + port + "/v1/models: cannot connect to upstream: ");
            });
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

    /**
     * The check's request timeout (the JDK's {@code HttpRequest.timeout}) ends when the response headers arrive; the
     * body is not timed. An upstream (or a proxy, or a network that stalls mid-response) that sends the headers of
     * {@code /models} and then nothing kept that check in flight for ever, and every later check (the schedule's and
     * {@link UpstreamHealth#checkSoon}'s) returned at once on {@code inFlight}: the worker's health was frozen at its
     * last answer (here UP) for the life of the worker, so the director kept sending work to a worker whose upstream
     * no longer answers, and would never see it come back either.
     */
    @Test
    void aModelsAnswerThatStallsAfterItsHeadersDoesNotFreezeTheHealth() throws Exception {
        AtomicBoolean stall = new AtomicBoolean();
        CountDownLatch over = new CountDownLatch(1);
        ExecutorService threads = Executors.newCachedThreadPool();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(threads);
        server.createContext("/v1/models", exchange -> {
            byte[] body = "{\"object\":\"list\",\"data\":[{\"id\":\"greedy-1\"}]}".getBytes(StandardCharsets.UTF_8);
            try (OutputStream out = exchange.getResponseBody()) {
                if (!stall.get()) {
                    exchange.sendResponseHeaders(200, body.length);
                    out.write(body);
                    return;
                }
                exchange.sendResponseHeaders(200, body.length);
                out.write(body, 0, 10);
                out.flush();
                over.await(60, TimeUnit.SECONDS); // the rest never comes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        try (OpenAiBackend backend = OpenAiBackendTest.backend(url, settings -> settings)) {
            await("up").atMost(DEADLINE).until(backend::isReady);

            stall.set(true);

            // the check times out after max(CONNECT_TIMEOUT, 1 s) = 2 s; its interval is 100 ms
            await("down: /models no longer answers").atMost(Duration.ofSeconds(10)).until(() -> !backend.isReady());
        } finally {
            over.countDown();
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
