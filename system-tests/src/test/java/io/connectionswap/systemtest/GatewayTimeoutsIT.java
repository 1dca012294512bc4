package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.PipelinedHttp;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.Series;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a silent, slow or endless HTTP peer can hold on the gateway, with the real jars as processes and raw sockets:
 * a connection that sends nothing, or nothing more after an answer, closes at
 * {@code CONNECTION_SWAP_GATEWAY_IDLE_TIMEOUT}, and so does a head trickled a byte at a time; a body that stops
 * arriving, or one that never ends after a 413, closes its connection at
 * {@code CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT} (after a 408 when the request was not answered yet), with an INFO
 * line and no ERROR; a stream that outlasts both
 * timeouts runs to its end, and other requests are served throughout. A request that is not valid HTTP/1.1 gets
 * OpenAI's error JSON and a close, one INFO line and no WARN or ERROR.
 */
@ExtendWith(DumpLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayTimeoutsIT {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Closed by a timeout, not at once for another reason: at least this long after the last byte. */
    private static final Duration NOT_BEFORE = Duration.ofMillis(1_500);
    /** Each raw socket read gives up after this: a connection still open then fails the test. */
    private static final Duration READ_DEADLINE = Duration.ofSeconds(20);
    private static final String DEADLINE_LINE = "a request body did not arrive within the request timeout";

    @AutoClose
    private ProcessCluster cluster;
    private ServiceProcess gateway;
    private GatewayHttp http;

    @BeforeAll
    void startDirectorWorkerAndGateway() {
        cluster = new ProcessCluster("GatewayTimeoutsIT", "50ms");
        cluster.startDirector();
        cluster.startWorker("worker-a");
        gateway = cluster.startClient("CONNECTION_SWAP_CLIENT_DEMO=false",
                "CONNECTION_SWAP_GATEWAY_IDLE_TIMEOUT=" + IDLE_TIMEOUT.toMillis() + "ms",
                "CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT=" + REQUEST_TIMEOUT.toMillis() + "ms",
                "CONNECTION_SWAP_MAX_REQUEST_BYTES=65536", "LOGGING_LEVEL_IO_CONNECTIONSWAP_CLIENT_TOKENS=WARN");
        cluster.awaitReady(cluster.director());
        cluster.awaitReady(gateway);
        cluster.awaitHealthyWorkers(1);
        http = new GatewayHttp(gateway.httpPort());
        assertThat(gateway.logLines("gateway http timeouts")).as("the timeouts in the start-up log").singleElement()
                .satisfies(line -> assertThat(line).contains("idle.timeout=PT2S", "request.timeout=PT3S"));
    }

    @Test
    @Order(1)
    @Timeout(120)
    void aConnectionWithNoRequestInFlightClosesAtTheIdleTimeout() throws Exception {
        try (PipelinedHttp silent = connect()) {
            assertThat(silent.awaitClosedByServer()).as("a connection that never sent a byte")
                    .isGreaterThanOrEqualTo(NOT_BEFORE);
        }
        try (PipelinedHttp kept = connect()) {
            kept.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(kept.read().status()).isEqualTo(200);
            assertThat(kept.awaitClosedByServer()).as("a keep-alive connection after its answer")
                    .isGreaterThanOrEqualTo(NOT_BEFORE);
        }
    }

    /**
     * A head trickled a byte at a time after its request line: reactor-netty's idle timeout counts from the last
     * decoded message (it sits behind the HTTP codec), so the head's own bytes do not restart it; no request, so no
     * request timeout. The close is one INFO line, not reactor-netty's WARN "Decoding failed" with the peer's request
     * line.
     */
    @Test
    @Order(2)
    @Timeout(120)
    void aHeadTrickledAByteAtATimeClosesItsConnectionAtTheIdleTimeout() throws Exception {
        int before = gateway.logLines(DEADLINE_LINE).size();
        byte[] head = PipelinedHttp.postHead("/v1/completions", 20);
        int requestLine = "POST /v1/completions HTTP/1.1\r\n".length();
        try (PipelinedHttp trickle = connect()) {
            long start = System.nanoTime();
            trickle.write(Arrays.copyOf(head, requestLine)); // whole, so the codec has a head to fail at the close
            AtomicInteger next = new AtomicInteger(requestLine);
            AtomicBoolean stopped = new AtomicBoolean();
            long pace = IDLE_TIMEOUT.toMillis() / 4; // the pace of the trickle: never idle for long
            ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
            try {
                pacer.scheduleWithFixedDelay(() -> {
                    int at = next.get();
                    if (!stopped.get() && at < head.length - 1 && trickle.writeIfOpen(new byte[] {head[at]})) {
                        next.incrementAndGet();
                    } else {
                        stopped.set(true); // the gateway closed the connection (or the head is all but sent)
                    }
                }, pace, pace, TimeUnit.MILLISECONDS);
                await("the gateway closes the trickling connection").atMost(Duration.ofSeconds(100)).until(stopped::get);
            } finally {
                pacer.shutdownNow();
            }
            int written = next.get();
            assertThat(written).as("bytes of the %d-byte head written before the gateway closed", head.length)
                    .isLessThan(head.length - 1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(NOT_BEFORE);
        }
        assertThat(gateway.logLines(DEADLINE_LINE)).as("no request, so no request timeout").hasSize(before);
        awaitLogLines("http connection closed before its request head was whole", 1);
        assertThat(gateway.logLines("Decoding failed")).as("reactor-netty's WARN for the unfinished head").isEmpty();
    }

    @Test
    @Order(3)
    @Timeout(120)
    void aBodyThatStopsArrivingClosesItsConnectionAtTheRequestTimeout() throws Exception {
        int before = gateway.logLines(DEADLINE_LINE).size();
        try (PipelinedHttp cut = connect()) {
            cut.write(PipelinedHttp.postHead("/v1/completions", 200),
                    "{\"model\":\"stand-in\",\"prompt\":".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            assertThat(http.get("/v1/models").statusCode()).as("another connection meanwhile").isEqualTo(200);
            assertRequestTimeout(cut.read());
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answered at the request timeout")
                    .isGreaterThanOrEqualTo(NOT_BEFORE);
            cut.awaitClosedByServer();
        }
        assertThat(awaitLogLines(DEADLINE_LINE, before + 1)).last().asString().contains("answered=false");
        awaitLogLines("http connection closed before the request was read", 1);
    }

    @Test
    @Order(4)
    @Timeout(120)
    void anEndlessBodyAfterA413IsCutAtTheRequestTimeout() throws Exception {
        int refusedBefore = gateway.logLines("status=413").size();
        int before = gateway.logLines(DEADLINE_LINE).size();
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'a');
        try (PipelinedHttp endless = connect()) {
            endless.write(PipelinedHttp.postHead("/v1/completions", Long.MAX_VALUE / 2));
            Duration cutAfter = endless.writeUntilClosedByServer(chunk, READ_DEADLINE);
            assertThat(cutAfter).as("the gateway still read the endless body after %s", READ_DEADLINE).isNotNull();
            assertThat(cutAfter).isGreaterThanOrEqualTo(NOT_BEFORE);
        }
        awaitLogLines("status=413", refusedBefore + 1); // refused on its Content-Length
        assertThat(awaitLogLines(DEADLINE_LINE, before + 1)).last().asString().contains("answered=true");
        assertThat(http.get("/v1/models").statusCode()).as("the gateway serves on").isEqualTo(200);
    }

    /**
     * A 140-token stream (7 s at 50 ms a token) outlasts both timeouts; a second request written behind it with half
     * its body waits for its turn without a clock, then gets the request timeout once the stream's answer is out.
     */
    @Test
    @Order(5)
    @Timeout(120)
    void aStreamOutlastsBothTimeoutsWhileTheRequestPipelinedBehindItWaitsItsTurn() throws Exception {
        int before = gateway.logLines(DEADLINE_LINE).size();
        try (PipelinedHttp connection = connect()) {
            long start = System.nanoTime();
            connection.write(PipelinedHttp.post("/v1/completions",
                            "{\"model\":\"stand-in\",\"prompt\":\"long enough\",\"max_tokens\":140,\"stream\":true}"),
                    PipelinedHttp.postHead("/v1/completions", 200), "{\"model\":".getBytes(StandardCharsets.US_ASCII));
            PipelinedHttp.Answer stream = connection.read();
            Duration streamed = Duration.ofNanos(System.nanoTime() - start);
            assertThat(stream.status()).as(stream.body()).isEqualTo(200);
            assertThat(GatewayHttp.text(GatewayHttp.chunks(stream.body())))
                    .isEqualTo(MODEL.text("long enough", 1, 140));
            assertThat(streamed).as("the stream outlasted both timeouts")
                    .isGreaterThan(IDLE_TIMEOUT.plus(REQUEST_TIMEOUT));
            long turn = System.nanoTime();
            assertRequestTimeout(connection.read());
            assertThat(Duration.ofNanos(System.nanoTime() - turn)).as("the half-sent request, counted from its turn")
                    .isGreaterThanOrEqualTo(NOT_BEFORE);
            connection.awaitClosedByServer();
        }
        assertThat(awaitLogLines(DEADLINE_LINE, before + 1)).last().asString().contains("answered=false");
    }

    /** Each request-body close above counted on the client; the connections gauge sees at least the scrape's own. */
    @Test
    @Order(6)
    void theClosesAreCountedAsLimitHits() {
        await("3 request-body closes counted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.metrics().sum(Series.LIMIT_HITS, "limit", "gateway_request_timeout") == 3);
        PrometheusText metrics = gateway.metrics();
        assertThat(metrics.sum(Series.LIMIT_HITS, "limit", "gateway_connections")).as("none refused").isZero();
        assertThat(metrics.sum("connection_swap_gateway_http_connections")).isGreaterThanOrEqualTo(1);
    }

    /**
     * Requests the HTTP codec cannot decode get OpenAI's error JSON and {@code Connection: close}, one INFO line each,
     * and no WARN "Decoding failed": a header line without a colon, headers over 8 KB, a request line over 4 KB, and a
     * body whose chunk framing breaks (which got reactor-netty's empty 400 and then an ERROR with a stack trace from
     * the request reading it: {@link #noErrorWasLogged}), and HTTP/2's cleartext preface (505); each counted by its
     * code in {@code connection_swap_gateway_malformed_requests_total}.
     */
    @Test
    @Order(7)
    @Timeout(60)
    void requestsThatDoNotDecodeGetOpenAisErrorJsonAndTheirConnectionCloses() throws Exception {
        String refused = "gateway refused a malformed http request";
        int before = gateway.logLines(refused).size();
        assertMalformed("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", 400, "malformed_http");
        assertMalformed("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(9_000) + "\r\n\r\n", 431,
                "request_headers_too_large");
        assertMalformed("GET /v1/models?" + "a".repeat(5_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414,
                "request_line_too_long");
        assertMalformed("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n", 400, "malformed_http");
        assertMalformed("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "http_version_not_supported");
        assertThat(awaitLogLines(refused, before + 5)).allSatisfy(line -> assertThat(line).contains(" INFO "));
        assertThat(gateway.logLines("Decoding failed")).as("reactor-netty's WARN").isEmpty();
        assertThat(http.get("/v1/models").statusCode()).as("the gateway serves on").isEqualTo(200);
        PrometheusText metrics = gateway.metrics();
        String counted = Series.GATEWAY_MALFORMED_REQUESTS;
        assertThat(metrics.sum(counted, "code", "malformed_http")).isEqualTo(2);
        assertThat(metrics.sum(counted, "code", "request_headers_too_large")).isEqualTo(1);
        assertThat(metrics.sum(counted, "code", "request_line_too_long")).isEqualTo(1);
        assertThat(metrics.sum(counted, "code", "http_version_not_supported")).isEqualTo(1);
        assertThat(metrics.sum(counted)).as("a head cut off by the idle timeout is not counted").isEqualTo(5);
    }

    @AfterAll
    void noErrorWasLogged() {
        if (gateway != null) {
            assertThat(gateway.logLines(" ERROR ")).as("ERROR lines in the gateway's log").isEmpty();
        }
    }

    /** A 408 with OpenAI's error JSON that closes the connection: what a client with an unfinished body gets. */
    private static void assertRequestTimeout(PipelinedHttp.Answer answer) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(408);
        assertThat(answer.header("Connection")).isEqualTo("close");
        assertThat(answer.header("Content-Type")).isEqualTo("application/json");
        assertThat(answer.body()).isEqualTo("{\"error\":{\"message\":\"the request body did not arrive within "
                + REQUEST_TIMEOUT.toMillis() + " ms of its head (CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT)\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"request_timeout\"}}");
    }

    /** {@code request}, written at once, gets {@code status} with OpenAI's error JSON, then its connection closes. */
    private void assertMalformed(String request, int status, String code) throws Exception {
        try (PipelinedHttp connection = connect()) {
            connection.write(request.getBytes(StandardCharsets.US_ASCII));
            PipelinedHttp.Answer answer = connection.read();
            assertThat(answer.status()).as(answer.body()).isEqualTo(status);
            assertThat(answer.header("Connection")).isEqualTo("close");
            assertThat(answer.header("Content-Type")).isEqualTo("application/json");
            assertThat(answer.body()).startsWith("{\"error\":{\"message\":")
                    .contains("\"type\":\"invalid_request_error\"", "\"code\":\"" + code + "\"");
            connection.awaitClosedByServer();
        }
    }

    /** The gateway's log lines containing {@code text}, once there are {@code count} of them and no more. */
    private List<String> awaitLogLines(String text, int count) {
        List<String> lines = gateway.awaitLogLines(text, count);
        assertThat(lines).as("log lines with \"%s\"", text).hasSize(count);
        return lines;
    }

    private PipelinedHttp connect() throws Exception {
        return new PipelinedHttp(gateway.httpPort(), READ_DEADLINE);
    }
}
