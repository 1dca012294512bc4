package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.model.ChatTemplate;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.PipelinedHttp;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.ReadmeCodeBlocks;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * client-service as the OpenAI-compatible gateway (demo off), with the real jars as processes: the official OpenAI
 * Java SDK streams through gateway -> director -> worker while the serving worker is killed with {@code kill -9}
 * and sees one uninterrupted stream with the exact text; the README's {@code curl -N} examples; 200 concurrent
 * streams over the one QUIC connection, twice as many as the director lets one connection have (those past its limit
 * wait for a stream, none fails to open one); a cancel that reaches the worker within a second; bad requests answered
 * with OpenAI errors while streaming goes on; a keep-alive connection that still serves after a request refused
 * before its body was read; 503 with Retry-After while no worker is there, and while no director is, with a body
 * that names no internal address. The gateway's SSE keep-alive is shorter than the time between two tokens, so every
 * stream carries {@code : keep-alive} comments between its events (the curl examples check they are there): the SDK,
 * the HTTP/1.0 client and the 200 streams read their exact text through them.
 */
@ExtendWith(DumpLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayProcessIT {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    private static final int MAX_REQUEST_BYTES = 256 * 1024;
    private static final int DEFAULT_MAX_TOKENS = 7;
    private static final int MAX_TOKENS_LIMIT = 5000;
    /**
     * Below the workers' 50 ms between tokens: every stream of this class carries keep-alive comments between its
     * events (more during a swap), which curl's output shows and the OpenAI SDK must skip.
     */
    private static final String SSE_KEEPALIVE = "30ms";
    /** The director's CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION: half the concurrent streams of one test. */
    private static final int MAX_STREAMS_PER_CONNECTION = 100;

    @AutoClose
    private ProcessCluster cluster;
    private ServiceProcess gateway;
    private GatewayHttp http;
    private boolean workersStarted;

    @BeforeAll
    void startDirectorAndGateway() {
        cluster = new ProcessCluster("GatewayProcessIT", "50ms");
        cluster.startDirector("CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION=" + MAX_STREAMS_PER_CONNECTION);
        gateway = cluster.startClient("CONNECTION_SWAP_CLIENT_DEMO=false", "CONNECTION_SWAP_GATEWAY_WORKER_WAIT=1s",
                "CONNECTION_SWAP_MAX_REQUEST_BYTES=" + MAX_REQUEST_BYTES,
                "CONNECTION_SWAP_GATEWAY_DEFAULT_MAX_TOKENS=" + DEFAULT_MAX_TOKENS,
                "CONNECTION_SWAP_MAX_TOKENS_LIMIT=" + MAX_TOKENS_LIMIT,
                "CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE=" + SSE_KEEPALIVE,
                "LOGGING_LEVEL_IO_CONNECTIONSWAP_CLIENT_TOKENS=WARN");
        cluster.awaitReady(cluster.director());
        cluster.awaitReady(gateway);
        http = new GatewayHttp(gateway.httpPort());
    }

    private void workers() {
        if (!workersStarted) {
            workersStarted = true;
            cluster.startWorker("worker-a");
            cluster.startWorker("worker-b");
        }
        cluster.awaitHealthyWorkers(2);
    }

    @Test
    @Order(1)
    void withoutAWorkerARequestGets503WithRetryAfter() throws Exception {
        HttpResponse<String> response = http.post("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"nobody home\",\"max_tokens\":5,\"stream\":true}");

        assertThat(response.statusCode()).as("no worker registered: %s", response.body()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertError(response, "service_unavailable_error", "no_healthy_worker");
        workers();

        // a stream whose workers all hang after its headers were sent ends with an SSE error event, no [DONE]
        HttpResponse<InputStream> live = http.client().send(http.request("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"hanging\",\"max_tokens\":2000,\"stream\":true}").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(live.statusCode()).isEqualTo(200);
        List<ServiceProcess> workers = cluster.processes().stream().filter(p -> p.name().startsWith("worker-")).toList();
        try {
            String rest;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(live.body(), StandardCharsets.UTF_8))) {
                int chunks = 0;
                while (chunks < 3) {
                    String line = reader.readLine();
                    assertThat(line).as("stream ended early").isNotNull();
                    chunks += line.startsWith("data: {") ? 1 : 0;
                }
                // registered but none healthy (both hang)
                workers.forEach(worker -> worker.freeze());
                rest = reader.lines().collect(java.util.stream.Collectors.joining("\n"));
            }
            assertThat(rest).as("the end of the stream").contains("\"code\":\"no_healthy_worker\"")
                    .doesNotContain("[DONE]");
            String last = rest.lines().filter(line -> line.startsWith("data:")).reduce((a, b) -> b).orElseThrow();
            assertThat(GatewayHttp.json(last.substring(5).trim()).path("error").path("type").asString())
                    .isEqualTo("service_unavailable_error");

            // and a new request waits CONNECTION_SWAP_GATEWAY_WORKER_WAIT, then 503
            await("the director sees no healthy worker").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.director().metrics().sum("connection_swap_workers", "state", "healthy") == 0);
            long start = System.nanoTime();
            HttpResponse<String> waited = http.post("/v1/chat/completions",
                    "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"anyone?\"}]}");
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(waited.statusCode()).as("no healthy worker: %s", waited.body()).isEqualTo(503);
            assertThat(waited.headers().firstValue("Retry-After")).isPresent();
            assertError(waited, "service_unavailable_error", "no_healthy_worker");
            assertThat(waitedMs).as("waited about CONNECTION_SWAP_GATEWAY_WORKER_WAIT=1s").isBetween(900L, 10_000L);
            assertThat(gateway.metrics().sum("connection_swap_client_no_worker_waits_total")).isGreaterThanOrEqualTo(1);
        } finally {
            workers.forEach(worker -> worker.resume());
        }
        cluster.awaitHealthyWorkers(2);
    }

    @Test
    @Order(2)
    void badRequestsGetOpenAiErrorsWhileAStreamGoesOn() throws Exception {
        workers();
        String prompt = "streaming while others send garbage";
        CompletableFuture<HttpResponse<String>> stream = http.client().sendAsync(http.request("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"" + prompt + "\",\"max_tokens\":60,\"stream\":true}").build(),
                HttpResponse.BodyHandlers.ofString());

        assertError(http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":"), 400, "invalid_json");
        assertError(http.post("/v1/completions", "[1,2]"), 400, "invalid_json");
        assertError(http.post("/v1/completions", "{\"model\":\"stand-in\"}"), 400, "missing_required_parameter");
        assertError(http.post("/v1/chat/completions", "{\"model\":\"stand-in\",\"messages\":[]}"), 400, "invalid_value");
        assertError(http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"x\",\"temperature\":3}"), 400,
                "invalid_value");
        HttpResponse<String> overLimit = http.post("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":" + (MAX_TOKENS_LIMIT + 1) + "}");
        assertError(overLimit, 400, "invalid_value");
        assertThat(GatewayHttp.json(overLimit.body()).path("error").path("message").asString())
                .as("CONNECTION_SWAP_MAX_TOKENS_LIMIT").contains("1 to " + MAX_TOKENS_LIMIT);
        assertError(http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"x\",\"max_tokens\":0}"), 400,
                "invalid_value");
        assertError(http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"x\",\"top_p\":0}"), 400,
                "invalid_value");
        assertError(http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}"),
                400, "invalid_value");
        HttpResponse<String> unknown = http.post("/v1/completions",
                "{\"model\":\"no-such-model\",\"prompt\":\"x\",\"stream\":true}");
        assertError(unknown, 404, "model_not_found");
        String huge = "{\"model\":\"stand-in\",\"prompt\":\"" + "a".repeat(MAX_REQUEST_BYTES) + "\"}";
        assertError(http.post("/v1/completions", huge), 413, "request_too_large");

        HttpResponse<String> streamed = stream.get(60, TimeUnit.SECONDS);
        assertThat(streamed.statusCode()).isEqualTo(200);
        assertThat(GatewayHttp.text(GatewayHttp.chunks(streamed.body()))).isEqualTo(MODEL.text(prompt, 1, 60));
        // and the gateway still serves
        HttpResponse<String> after = http.post("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"after\",\"max_tokens\":5}");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(GatewayHttp.json(after.body()).path("choices").path(0).path("text").asString())
                .isEqualTo(MODEL.text("after", 1, 5));
        assertThat(GatewayHttp.json(after.body()).path("usage").path("completion_tokens").asInt()).isEqualTo(5);
        HttpResponse<String> unbounded = http.post("/v1/chat/completions",
                "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"how long?\"}]}");
        assertThat(GatewayHttp.json(unbounded.body()).path("usage").path("completion_tokens").asInt())
                .as("CONNECTION_SWAP_GATEWAY_DEFAULT_MAX_TOKENS").isEqualTo(DEFAULT_MAX_TOKENS);
    }

    /**
     * A request the gateway refuses before reading its body (413 on its Content-Length), arriving while the request
     * ahead of it on the same keep-alive connection is still being answered. Reactor Netty 1.3.6 then stopped
     * reading the connection for good (reactor/reactor-netty#4361): the next request on it hung with nothing in any
     * log. Both requests are written in one go here, so the second always arrives while the first is generating.
     */
    @Test
    @Order(2)
    void aRequestRefusedBeforeItsBodyWasReadLeavesItsKeepAliveConnectionServing() throws Exception {
        workers();
        String oversize = "{\"model\":\"stand-in\",\"prompt\":\"" + "a".repeat(MAX_REQUEST_BYTES) + "\"}";
        try (PipelinedHttp connection = new PipelinedHttp(gateway.httpPort(), Duration.ofSeconds(30))) {
            connection.write(PipelinedHttp.post("/v1/completions",
                            "{\"model\":\"stand-in\",\"prompt\":\"ahead\",\"max_tokens\":3}"),
                    PipelinedHttp.post("/v1/completions", oversize));
            PipelinedHttp.Answer ahead = connection.read();
            assertThat(ahead.status()).as(ahead.body()).isEqualTo(200);
            assertThat(completionText(ahead)).isEqualTo(MODEL.text("ahead", 1, 3));
            PipelinedHttp.Answer refused = connection.read();
            assertThat(refused.status()).as(refused.body()).isEqualTo(413);
            assertThat(GatewayHttp.json(refused.body()).path("error").path("code").asString())
                    .isEqualTo("request_too_large");

            connection.write(PipelinedHttp.post("/v1/completions",
                    "{\"model\":\"stand-in\",\"prompt\":\"next\",\"max_tokens\":2}"));
            PipelinedHttp.Answer next;
            try {
                next = connection.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer within 30 s: the gateway stopped reading the keep-alive "
                        + "connection after the refused request", e);
            }
            assertThat(next.status()).as(next.body()).isEqualTo(200);
            assertThat(completionText(next)).isEqualTo(MODEL.text("next", 1, 2));
        }
    }

    private static String completionText(PipelinedHttp.Answer answer) {
        return GatewayHttp.json(answer.body()).path("choices").path(0).path("text").asString();
    }

    @Test
    @Order(3)
    void theReadmeCurlExamplesWork() throws Exception {
        workers();
        List<String> commands = readmeCurlCommands();
        assertThat(commands).as("curl examples in the README's Gateway section").hasSizeGreaterThanOrEqualTo(3);
        for (String command : commands) {
            String local = command.replace("localhost:8090", "127.0.0.1:" + gateway.httpPort());
            Path errors = Files.createTempFile("curl", ".err");
            Path answer = Files.createTempFile("curl", ".out");
            // output to a file, not a pipe read to its end: an answer that never ends fails here with what came
            Process curl = new ProcessBuilder("bash", "-c", "exec " + local)
                    .redirectOutput(answer.toFile()).redirectError(errors.toFile()).start();
            boolean ended = curl.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                curl.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String output = Files.readString(answer);
            assertThat(ended).as("curl ended within 60 s: %s%nreceived:%n%s", command, output).isTrue();
            assertThat(curl.exitValue()).as("exit code of: %s%n%s%n%s", command, output, Files.readString(errors))
                    .isZero();
            Files.delete(errors);
            Files.delete(answer);
            if (command.contains("\"stream\": true") || command.contains("\"stream\":true")) {
                List<JsonNode> chunks = GatewayHttp.chunks(output);
                assertThat(GatewayHttp.text(chunks)).as("text streamed by: %s", command).isNotEmpty();
                assertThat(output).as("keep-alive comments (every %s of silence) between the events of: %s",
                        SSE_KEEPALIVE, command).contains("\n\n: keep-alive\n\ndata: ").endsWith("data: [DONE]\n\n");
            } else {
                JsonNode body = GatewayHttp.json(output);
                assertThat(body.has("choices") || body.has("data") || "model".equals(body.path("object").asString()))
                        .as("answer of: %s%n%s", command, output).isTrue();
            }
        }
    }

    @Test
    @Order(3)
    void theOpenAiSdkListsAndRetrievesModelsAndGetsOpenAiErrorsForWhatIsNotServed() throws Exception {
        workers();
        OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + gateway.httpPort() + "/v1")
                .apiKey("not-checked").maxRetries(0).build();
        assertThat(sdk.models().list().data()).extracting(Model::id).containsExactly("stand-in");
        Model standIn = sdk.models().retrieve("stand-in");
        assertThat(standIn.id()).isEqualTo("stand-in");
        assertThat(standIn.ownedBy()).isEqualTo("connection-swap");
        assertThatThrownBy(() -> sdk.models().retrieve("org/no-such-model"))
                .isInstanceOfSatisfying(NotFoundException.class, notFound -> {
                    assertThat(notFound.code()).contains("model_not_found");
                    assertThat(notFound.param()).contains("model");
                });
        // the request id (OpenAI's x-request-id) is the generation's id: in the answer's id and in the logs
        HttpResponseFor<Completion> raw = sdk.completions().withRawResponse().create(CompletionCreateParams.builder()
                .model("stand-in").prompt("which request is this").maxTokens(3).build());
        String requestId = raw.requestId().orElseThrow(() -> new AssertionError("no x-request-id"));
        assertThat(raw.parse().id()).isEqualTo("cmpl-" + requestId);
        assertThat(gateway.awaitLogLines("generation.id=" + requestId, 1)).anyMatch(line -> line.contains("done"));
        NotFoundException unknownModel = catchThrowableOfType(NotFoundException.class, () -> sdk.completions()
                .create(CompletionCreateParams.builder().model("no-such-model").prompt("x").maxTokens(3).build()));
        String failedId = unknownModel.headers().values("X-Request-Id").get(0);
        assertThat(gateway.awaitLogLines("generation.id=" + failedId, 1))
                .anyMatch(line -> line.contains("code=model_not_found") && line.contains("gateway request refused"));
        // JSON mode asks for another answer than the text the gateway relays: refused by name, not ignored
        assertThatThrownBy(() -> sdk.chat().completions().create(ChatCompletionCreateParams.builder().model("stand-in")
                .addUserMessage("answer in JSON").responseFormat(ResponseFormatJsonObject.builder().build()).build()))
                .isInstanceOfSatisfying(BadRequestException.class, refused -> {
                    assertThat(refused.code()).contains("unsupported_parameter");
                    assertThat(refused.param()).contains("response_format");
                });

        HttpResponse<String> wrongMethod = http.get("/v1/chat/completions");
        assertError(wrongMethod, 405, "method_not_allowed");
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
        HttpResponse<String> unknown = http.post("/v1/embeddings", "{\"model\":\"stand-in\",\"input\":\"x\"}");
        assertError(unknown, 404, "unknown_url");
        assertThat(GatewayHttp.json(unknown.body()).path("error").path("message").asString())
                .startsWith("Invalid URL (POST /v1/embeddings)").contains("POST /v1/completions");
        await("the gateway logs both refusals").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(gateway.logLines("gateway request refused"))
                        .anyMatch(line -> line.contains("code=unknown_url"))
                        .anyMatch(line -> line.contains("code=method_not_allowed")));
    }

    @Test
    @Order(4)
    void twoHundredConcurrentStreamsCompleteExactlyOverOneConnection() throws Exception {
        workers();
        int streams = 200;
        int tokens = 20;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            answers.add(http.client().sendAsync(http.request("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":"
                    + "\"concurrent-" + i + "\",\"max_tokens\":" + tokens + ",\"stream\":true}").build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < streams; i++) {
            HttpResponse<String> answer = answers.get(i).get(120, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as("status of stream %d: %s", i, answer.body()).isEqualTo(200);
            assertThat(GatewayHttp.text(GatewayHttp.chunks(answer.body()))).as("text of stream %d", i)
                    .isEqualTo(MODEL.text("concurrent-" + i, 1, tokens));
        }
        assertThat(cluster.director().metrics().sum("connection_swap_connections_opened_total", "peer", "client"))
                .as("client connections the director accepted").isEqualTo(1);
        assertThat(gateway.metrics().sum("connection_swap_client_sequence_errors_total")).isZero();
        assertThat(gateway.metrics().sum("connection_swap_client_reconnects_total")).isZero();
        // past the director's stream limit the requests waited for a stream instead of failing to open one
        assertThat(gateway.logLines("STREAM_LIMIT")).as("streams that failed to open (QUICHE_ERR_STREAM_LIMIT)")
                .isEmpty();
        assertThat(gateway.logLines("director's stream limit reached")).as("the wait, told once").hasSize(1);
        assertThat(gateway.metrics().sum("connection_swap_client_streams_waiting")).as("streams still waiting")
                .isZero();
    }

    /**
     * An HTTP/1.0 client (or a proxy speaking 1.0 to the gateway, as nginx does by default) gets the stream without
     * chunked transfer coding, which it cannot read: the SSE lines as they are, ended by the connection's close.
     */
    @Test
    @Order(4)
    void anHttp10ClientGetsTheStreamUnchunkedUntilTheConnectionCloses() throws Exception {
        workers();
        String body = "{\"model\":\"stand-in\",\"prompt\":\"old client\",\"max_tokens\":4,\"stream\":true}";
        String answer;
        try (Socket socket = new Socket("127.0.0.1", gateway.httpPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // to the close
        }
        int headersEnd = answer.indexOf("\r\n\r\n");
        assertThat(headersEnd).as(answer).isPositive();
        String headers = answer.substring(0, headersEnd).toLowerCase(java.util.Locale.ROOT);
        assertThat(headers).startsWith("http/1.1 200").contains("content-type: text/event-stream")
                .doesNotContain("transfer-encoding");
        String events = answer.substring(headersEnd + 4);
        assertThat(events).startsWith("data: {").endsWith("data: [DONE]\n\n");
        assertThat(GatewayHttp.text(GatewayHttp.chunks(events))).isEqualTo(MODEL.text("old client", 1, 4));
    }

    @Test
    @Order(5)
    void cancellingMidStreamEndsTheWorkerStreamWithinOneSecond() throws Exception {
        workers();
        await("no stream left from earlier tests").atMost(Duration.ofSeconds(30)).until(() -> activeWorkerStreams() == 0);
        HttpResponse<InputStream> response = http.client().send(http.request("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"cancel me\",\"max_tokens\":2000,\"stream\":true}").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        try (InputStream body = response.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            int chunks = 0;
            while (chunks < 5) {
                String line = reader.readLine();
                assertThat(line).as("stream ended early").isNotNull();
                if (line.startsWith("data: {")) {
                    chunks++;
                }
            }
            assertThat(activeWorkerStreams()).isEqualTo(1);
        } // closing the body closes the HTTP connection
        long closed = System.nanoTime();
        await("the worker's stream ends").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> activeWorkerStreams() == 0);
        System.out.printf("cancel reached the worker within %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closed));
        assertThat(gateway.logLines("http client went away; generation cancelled")).isNotEmpty();
    }

    @Test
    @Order(6)
    void theOpenAiSdkStreamSurvivesKillNineOfTheServingWorkerWithTheExactText() {
        workers();
        String prompt = "The OpenAI SDK keeps reading while its worker dies";
        int tokens = 60;
        OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + gateway.httpPort() + "/v1")
                .apiKey("not-checked").build();
        StringBuilder text = new StringBuilder();
        int chunks = 0;
        ServiceProcess killed = null;
        try (StreamResponse<Completion> stream = sdk.completions().createStreaming(CompletionCreateParams.builder()
                .model("stand-in").prompt(prompt).maxTokens(tokens).build())) {
            for (Completion chunk : (Iterable<Completion>) stream.stream()::iterator) {
                text.append(chunk.choices().get(0).text());
                if (++chunks == 10) {
                    killed = servingWorker();
                    killed.kill9();
                }
            }
        }
        assertThat(killed).as("a worker was killed mid-stream").isNotNull();
        assertThat(text.toString()).isEqualTo(MODEL.text(prompt, 1, tokens));
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total", "worker", killed.name())).isGreaterThanOrEqualTo(1);
        assertThat(cluster.director().metrics().sum("connection_swap_connections_opened_total", "peer", "client"))
                .as("client connections the director accepted").isEqualTo(1);
        assertThat(gateway.metrics().sum("connection_swap_client_swaps_total")).isGreaterThanOrEqualTo(1);
        assertThat(gateway.metrics().sum("connection_swap_client_sequence_errors_total")).isZero();
        assertThat(gateway.logLines("stream ended; requesting another worker")).isNotEmpty();

        // the same for a chat completion, after the killed worker is back
        cluster.startWorker(killed.name());
        cluster.awaitHealthyWorkers(2);
        List<ChatMessage> messages = List.of(new ChatMessage("system", "You are terse."),
                new ChatMessage("user", "Tell me about swaps."));
        StringBuilder chat = new StringBuilder();
        chunks = 0;
        ServiceProcess killedInChat = null;
        List<ChatCompletionChunk> withUsage = new ArrayList<>();
        int usageNull = 0;
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("stand-in").addSystemMessage("You are terse.")
                        .addUserMessage("Tell me about swaps.").maxCompletionTokens(tokens)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                if (!chunk.choices().isEmpty()) {
                    chunk.choices().get(0).delta().content().ifPresent(chat::append);
                }
                if (chunk.usage().isPresent()) {
                    withUsage.add(chunk);
                } else if (chunk._usage().isNull()) {
                    usageNull++;
                }
                if (++chunks == 10) {
                    killedInChat = servingWorker();
                    killedInChat.kill9();
                }
            }
        }
        assertThat(killedInChat).isNotNull();
        assertThat(chat.toString()).isEqualTo(MODEL.text(ChatTemplate.render(messages), 1, tokens));
        assertThat(withUsage).as("include_usage: one last chunk with the counts, after the swap too").hasSize(1);
        assertThat(withUsage.get(0).choices()).isEmpty();
        assertThat(withUsage.get(0).usage().orElseThrow().completionTokens()).isEqualTo(tokens);
        assertThat(usageNull).as("every other chunk says \"usage\": null").isEqualTo(chunks - 1);
        assertThat(cluster.director().metrics().sum("connection_swap_connections_opened_total", "peer", "client")).isEqualTo(1);
        assertThat(cluster.leakReports()).as("Netty buffer leaks").isEmpty();
    }

    @Test
    @Order(7)
    void withTheDirectorGoneA503SaysSoWithoutTheDirectorsAddress() throws Exception {
        String directorAddress = "127.0.0.1:" + cluster.directorQuicPort();
        cluster.director().kill9();
        gateway.awaitLogLines("cannot reach director", 1);

        for (HttpResponse<String> response : List.of(
                http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"director?\",\"stream\":true}"),
                http.post("/v1/chat/completions",
                        "{\"model\":\"stand-in\",\"messages\":[{\"role\":\"user\",\"content\":\"director?\"}]}"),
                http.get("/v1/models"))) {
            assertThat(response.statusCode()).as("no director: %s", response.body()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            assertError(response, "service_unavailable_error", "no_healthy_worker");
            assertThat(GatewayHttp.json(response.body()).path("error").path("message").asString())
                    .isEqualTo("the gateway has no connection to a director; retry later");
            assertThat(response.body()).as("no internal address for HTTP callers").doesNotContain(directorAddress);
        }
        // the operator's log line keeps the library's whole detail
        assertThat(gateway.logLines("gateway request failed"))
                .anyMatch(line -> line.contains("no connection to a director within") && line.contains(directorAddress));
    }

    private ServiceProcess servingWorker() {
        return cluster.processes().stream()
                .filter(process -> process.name().startsWith("worker-") && process.isAlive())
                .filter(process -> process.metrics().sum("connection_swap_worker_streams_active") >= 1)
                .findFirst().orElseThrow(() -> new AssertionError("no worker serves a stream"));
    }

    private double activeWorkerStreams() {
        return cluster.processes().stream()
                .filter(process -> process.name().startsWith("worker-") && process.isAlive())
                .mapToDouble(process -> process.metrics().sum("connection_swap_worker_streams_active")).sum();
    }

    /** The {@code curl} commands of the README's "Gateway" section (backslash continuations joined). */
    private static List<String> readmeCurlCommands() throws Exception {
        List<String> commands = new ArrayList<>();
        for (String block : ReadmeCodeBlocks.of("Gateway", "bash")) {
            String joined = block.replace("\\\n", " ");
            for (String line : joined.split("\n")) {
                if (line.trim().startsWith("curl ")) {
                    commands.add(line.trim());
                }
            }
        }
        return commands;
    }

    private static void assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(status);
        JsonNode error = GatewayHttp.json(response.body()).path("error");
        assertThat(error.path("code").asString()).isEqualTo(code);
        assertThat(error.path("message").asString()).isNotBlank();
        assertThat(error.has("type")).isTrue();
    }

    private static void assertError(HttpResponse<String> response, String type, String code) {
        JsonNode error = GatewayHttp.json(response.body()).path("error");
        assertThat(error.path("type").asString()).isEqualTo(type);
        assertThat(error.path("code").asString()).isEqualTo(code);
    }
}
