package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.JvmProbe;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.RawGeneration;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.systemtest.support.Series;
import io.connectionswap.systemtest.support.SseReader;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.netty.buffer.Unpooled;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every way a stream ends releases it on both sides of both connections (gateway/client library <-> director,
 * director <-> worker), with the real jars: after each path the {@code connection_swap_quic_streams_open} gauge of every process
 * is back at its idle level (the control, client token, registration, link heartbeat and token streams); at the end {@code jcmd GC.class_histogram} finds no more
 * live {@code QuicheQuicStreamChannel} objects than the gauges count. Netty (4.2.15 and 4.2.18) keeps a stream in its connection
 * until it has read the peer's FIN, so a stream closed too early or reset by the peer would stay forever. The raw
 * client ends its side (FIN) after the director's END or final ERROR, as the client library does; one that never does
 * would be released by the director's linger (10 s), which is longer than this test waits.
 */
@ExtendWith(DumpLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamLifecycleIT {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    /**
     * Half of QuicStreams' 10 s linger: a stream ended by both FINs (or a reset) is released at once; one that is only
     * released when a linger resets it means a FIN was lost (docs/protocol.md: a FIN always travels with a frame).
     */
    private static final Duration RELEASED_WITHIN = QuicStreams.DEFAULT_LINGER.dividedBy(2);
    /**
     * When a peer died or was stopped, what it held is released once its connection is found lost: at the latest
     * after the QUIC idle timeout (10 s), with a margin.
     */
    private static final Duration RELEASED_AFTER_PEER_LOSS = QuicSettings.DEFAULTS.maxIdleTimeout().plusSeconds(6);
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(2);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int DIRECTOR_MAX_TOKENS = 1000;
    /** QUIC connections of each of the director's worker links: each holds a heartbeat stream and a token stream. */
    private static final int LINK_CONNECTIONS = 2;
    /** A worker's idle streams: its registration stream, and a link heartbeat and a token stream per connection. */
    private static final int WORKER_IDLE_STREAMS = 1 + 2 * LINK_CONNECTIONS;
    /** The gateway's (the client library's) idle streams: its control stream and its client token stream. */
    private static final int GATEWAY_IDLE_STREAMS = 2;
    /** The director's: the gateway's two, the raw client's control stream, and the two workers' streams. */
    private static final int DIRECTOR_IDLE_STREAMS = GATEWAY_IDLE_STREAMS + 1 + 2 * WORKER_IDLE_STREAMS;

    private final TlsIdentity clientIdentity = TlsIdentity.of(CertificateDirectory.locate(null), "client");
    @AutoClose
    private ProcessCluster cluster;
    private ServiceProcess director;
    private ServiceProcess workerA;
    private ServiceProcess workerB;
    private ServiceProcess gateway;
    private GatewayHttp http;
    private RawQuicClient raw;
    /** process -> connection_swap_quic_streams_open when nothing runs. */
    private final Map<ServiceProcess, Double> idle = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        cluster = new ProcessCluster("StreamLifecycleIT", "20ms");
        director = cluster.startDirector("CONNECTION_SWAP_MAX_TOKENS_LIMIT=" + DIRECTOR_MAX_TOKENS,
                "CONNECTION_SWAP_WORKER_LINK_CONNECTIONS=" + LINK_CONNECTIONS);
        workerA = cluster.startWorker("worker-a");
        workerB = cluster.startWorker("worker-b");
        // a long wait for a worker or a director: the library keeps asking (refused streams) and reconnects
        gateway = cluster.startClient("CONNECTION_SWAP_CLIENT_DEMO=false", "CONNECTION_SWAP_GATEWAY_WORKER_WAIT=90s",
                "LOGGING_LEVEL_IO_CONNECTIONSWAP_CLIENT_TOKENS=WARN");
        cluster.awaitHealthyWorkers(2);
        cluster.awaitReady(gateway);
        http = new GatewayHttp(gateway.httpPort());
        raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort());
        raw.keepAlive(KEEP_ALIVE); // a control stream, as the library's: the waits here outlast the idle timeout
        // one generation so that every connection (gateway, raw client, both links) carried a stream once
        complete(gatewayStream("warm-up", 5));
        RawGeneration warmUp = RawGeneration.start(raw, GenerationRequest.completion("g-warm", "warm-up", 3));
        warmUp.awaitEnd(End.class, DEADLINE);
        warmUp.stream().done();
        await("the warm-up's streams released").atMost(RELEASED_WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> director.metrics().sum(Series.QUIC_STREAMS_OPEN) == DIRECTOR_IDLE_STREAMS);
        for (ServiceProcess process : List.of(director, workerA, workerB, gateway)) {
            idle.put(process, steadyStreams(process));
        }
        System.out.println("idle connection_swap_quic_streams_open: " + ServiceProcess.describe(idle));
        assertThat(idle.get(gateway)).as("the gateway's control stream and client token stream")
                .isEqualTo(GATEWAY_IDLE_STREAMS);
        assertThat(idle.get(workerA)).as("a worker's registration, link heartbeat and token streams")
                .isEqualTo(WORKER_IDLE_STREAMS);
        assertThat(idle.get(director)).as("the director: the clients' control and token streams, each worker's streams")
                .isEqualTo(DIRECTOR_IDLE_STREAMS);
    }

    @AfterAll
    void stop() {
        if (raw != null) {
            raw.close();
        }
    }

    @Test
    @Order(1)
    void endOfGeneration() throws Exception {
        List<SseReader> streams = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            streams.add(gatewayStream("end-" + i, 20));
        }
        for (int i = 0; i < streams.size(); i++) {
            assertThat(complete(streams.get(i))).isEqualTo(MODEL.text("end-" + i, 1, 20));
        }
        HttpResponse<String> whole = http.post("/v1/completions",
                "{\"model\":\"stand-in\",\"prompt\":\"whole\",\"max_tokens\":10}");
        assertThat(whole.statusCode()).isEqualTo(200);
        RawGeneration rawEnd = RawGeneration.start(raw, GenerationRequest.completion("g-end", "raw-end", 10));
        rawEnd.awaitEnd(End.class, DEADLINE);
        rawEnd.stream().done();
        awaitIdle("END");
    }

    @Test
    @Order(2)
    void refusals() throws Exception {
        HttpResponse<String> unknownModel = http.post("/v1/completions",
                "{\"model\":\"no-such-model\",\"prompt\":\"x\",\"max_tokens\":5,\"stream\":true}");
        assertThat(unknownModel.statusCode()).as(unknownModel.body()).isEqualTo(404);
        HttpResponse<String> tooMany = http.post("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"x\","
                + "\"max_tokens\":" + (DIRECTOR_MAX_TOKENS + 1) + ",\"stream\":true}");
        assertThat(tooMany.statusCode()).as(tooMany.body()).isEqualTo(400);
        RawGeneration model = RawGeneration.start(raw, new GenerationRequest("g-model", "no-such-model", "x", null,
                io.connectionswap.protocol.message.SamplingParameters.maxTokens(5), 0, null, null, 0, null, false));
        assertThat(model.awaitEnd(StreamError.class, DEADLINE).code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
        model.stream().done();
        RawGeneration limit = RawGeneration.start(raw,
                GenerationRequest.completion("g-limit", "x", DIRECTOR_MAX_TOKENS + 1));
        assertThat(limit.awaitEnd(StreamError.class, DEADLINE).code()).isEqualTo(ErrorCode.BAD_REQUEST);
        limit.stream().done();
        awaitIdle("refusals: MODEL_NOT_FOUND, maxTokens limit");
    }

    @Test
    @Order(3)
    void badInput() throws Exception {
        // an unknown frame type
        RawQuicClient.Stream unknown = raw.openStream();
        unknown.writeBytes(Unpooled.wrappedBuffer(new byte[] {0x7e, 0, 0, 0, 0}));
        assertThat(((StreamError) unknown.next(30)).code()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE);
        unknown.done();
        // a GENERATE frame whose JSON is broken
        RawQuicClient.Stream malformed = raw.openStream();
        byte[] json = "{\"generationId\":".getBytes(StandardCharsets.UTF_8);
        malformed.writeBytes(Unpooled.buffer().writeByte(io.connectionswap.protocol.frame.FrameType.GENERATE.code())
                .writeInt(json.length).writeBytes(json));
        assertThat(((StreamError) malformed.next(30)).code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
        malformed.done();
        // a second GENERATE on a stream being relayed
        RawGeneration twice = RawGeneration.start(raw, GenerationRequest.completion("g-twice", "twice", 500));
        twice.awaitSequence(3, DEADLINE);
        twice.stream().write(GenerationRequest.completion("g-twice-2", "twice", 5));
        assertThat(twice.awaitEnd(StreamError.class, DEADLINE).code()).isEqualTo(ErrorCode.UNEXPECTED_MESSAGE);
        twice.stream().done();
        awaitIdle("bad input");
    }

    @Test
    @Order(4)
    void clientCancelsByFinAndByReset() throws Exception {
        RawGeneration byFin = RawGeneration.start(raw, GenerationRequest.completion("g-fin", "cancel by fin", 500));
        byFin.awaitSequence(3, DEADLINE);
        byFin.stream().finish();
        RawGeneration byReset = RawGeneration.start(raw, GenerationRequest.completion("g-rst", "cancel by reset", 500));
        byReset.awaitSequence(3, DEADLINE);
        int badInputBefore = director.logLines("director ended stream after bad input").size();
        byReset.stream().reset(ErrorCode.CANCELLED);
        awaitIdle("client cancel by FIN and by RESET");
        assertThat(workerA.metrics().sum(Series.WORKER_STREAMS_ACTIVE) + workerB.metrics().sum(Series.WORKER_STREAMS_ACTIVE))
                .as("the workers stopped").isZero();
        // a relayed write that meets the client's STOP_SENDING is the cancel, not bad input
        assertThat(director.logLines("director ended stream after bad input")).as("bad-input lines after the reset")
                .hasSize(badInputBefore);
    }

    @Test
    @Order(5)
    void gatewayHttpClientGoesAway() throws Exception {
        try (SseReader stream = gatewayStream("walk away", 500)) {
            stream.awaitChunks(5, DEADLINE);
        }
        await("the gateway cancels the generation").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> !gateway.logLines("http client went away; generation cancelled").isEmpty());
        awaitIdle("gateway HTTP cancel");
    }

    @Test
    @Order(6)
    void retryAfterKillNine() throws Exception {
        SseReader stream = gatewayStream("kill nine", 150);
        stream.awaitChunks(10, DEADLINE);
        ServiceProcess serving = worker(stream.lastWorker());
        serving.kill9();
        assertThat(complete(stream)).isEqualTo(MODEL.text("kill nine", 1, 150));
        assertThat(stream.swaps()).hasSize(1);
        awaitReleasedWithout(serving, "RETRY after kill -9");
        serving.restart();
        cluster.awaitHealthyWorkers(2);
        awaitIdleAfterPeerLoss("worker restarted after kill -9");
    }

    @Test
    @Order(7)
    void retryAfterDrain() throws Exception {
        SseReader stream = gatewayStream("drain", 150);
        stream.awaitChunks(10, DEADLINE);
        ServiceProcess serving = worker(stream.lastWorker());
        serving.sigterm();
        assertThat(complete(stream)).isEqualTo(MODEL.text("drain", 1, 150));
        assertThat(stream.swaps()).hasSize(1);
        assertThat(stream.swaps().get(0).path("reason").asString()).isEqualTo("drain");
        assertThat(serving.waitForExit(DEADLINE)).as("the drained worker exits").isTrue();
        awaitReleasedWithout(serving, "RETRY after drain");
        serving.restart();
        cluster.awaitHealthyWorkers(2);
        awaitIdleAfterPeerLoss("worker restarted after drain");
    }

    @Test
    @Order(8)
    void noHealthyWorker() throws Exception {
        workerA.freeze();
        workerB.freeze();
        try {
            await("the director sees no healthy worker").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> director.metrics().sum(Series.WORKERS, "state", "healthy") == 0);
            RawGeneration refused = RawGeneration.start(raw, GenerationRequest.completion("g-none", "none", 5));
            assertThat(refused.awaitEnd(StreamError.class, DEADLINE).code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
            refused.stream().done();
            int waitLinesBefore = gateway.logLines("no healthy worker; waiting").size();
            // the gateway's library asks again and again (each a refused stream) until a worker is back
            // the gateway answers (200 and the first chunk) only once a worker serves it: ask from another thread
            java.util.concurrent.CompletableFuture<SseReader> waiting = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return gatewayStream("waits for a worker", 5);
                        } catch (Exception e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
            double waitsBefore = gateway.metrics().sum("connection_swap_client_no_worker_waits_total");
            await("the library was refused a few times").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> gateway.metrics().sum("connection_swap_client_no_worker_waits_total")
                            >= waitsBefore + 3);
            assertThat(gateway.logLines("no healthy worker; waiting")).as("one WARN line for the wait, not one a try")
                    .hasSize(waitLinesBefore + 1);
            workerA.resume();
            workerB.resume();
            assertThat(complete(waiting.get(60, java.util.concurrent.TimeUnit.SECONDS)))
                    .isEqualTo(MODEL.text("waits for a worker", 1, 5));
        } finally {
            workerA.resume();
            workerB.resume();
        }
        cluster.awaitHealthyWorkers(2);
        awaitIdleAfterPeerLoss("NO_HEALTHY_WORKER refusals");
    }

    @Test
    @Order(9)
    void directorShutdownAndRestart() throws Exception {
        SseReader stream = gatewayStream("director restart", 200);
        stream.awaitChunks(10, DEADLINE);
        director.sigterm();
        assertThat(director.waitForExit(DEADLINE)).as("the director exits").isTrue();
        await("the workers let go of the director's links").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> workerA.metrics().sum(Series.WORKER_STREAMS_ACTIVE) == 0
                        && workerB.metrics().sum(Series.WORKER_STREAMS_ACTIVE) == 0);
        director.restart();
        cluster.awaitHealthyWorkers(2);
        assertThat(complete(stream)).as("the generation resumed at the restarted director")
                .isEqualTo(MODEL.text("director restart", 1, 200));
        raw.close();
        raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort());
        raw.keepAlive(KEEP_ALIVE);
        awaitIdleAfterPeerLoss("director restart");
    }

    @Test
    @Order(10)
    void theHeapHoldsNoMoreStreamChannelsThanTheGauges() {
        for (ServiceProcess process : idle.keySet()) {
            await(process.name() + ": live QuicheQuicStreamChannel objects no more than the gauge counts")
                    .atMost(DEADLINE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        JvmProbe.Snapshot heap = JvmProbe.histogram(process);
                        double open = process.metrics().sum(Series.QUIC_STREAMS_OPEN);
                        System.out.printf("%s: %d live stream channels, gauge %.0f, live heap %.1f MiB%n",
                                process.name(), heap.streamChannels(), open, heap.liveHeapMiB());
                        return heap.streamChannels() <= open;
                    });
        }
        assertThat(gateway.metrics().sum(Series.CLIENT_SEQUENCE_ERRORS)).isZero();
        assertThat(cluster.leakReports()).as("Netty buffer leaks").isEmpty();
    }

    // ---- helpers ----

    private SseReader gatewayStream(String prompt, int tokens) throws Exception {
        return SseReader.start(http, "/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":" + tokens + ",\"stream\":true}");
    }

    /** Waits for {@code [DONE]} and returns the text. */
    private static String complete(SseReader stream) throws Exception {
        assertThat(stream.awaitDone(Duration.ofSeconds(120))).as("ended with [DONE] (error %s)", stream.error())
                .isTrue();
        return stream.text();
    }

    private ServiceProcess worker(String label) {
        assertThat(label).as("a chunk named its worker").isNotNull();
        return label.equals(workerA.name()) ? workerA : workerB;
    }

    /** Every process back at its idle number of stream channels, each stream released at its FINs. */
    private void awaitIdle(String path) {
        awaitIdle(path, idle.keySet().stream().toList(), 0, RELEASED_WITHIN);
    }

    /** Every process back at its idle number of stream channels after a peer was lost (killed, stopped, restarted). */
    private void awaitIdleAfterPeerLoss(String path) {
        awaitIdle(path, idle.keySet().stream().toList(), 0, RELEASED_AFTER_PEER_LOSS);
    }

    /** Without {@code gone} (dead or drained): the director holds its two streams fewer. */
    private void awaitReleasedWithout(ServiceProcess gone, String path) {
        List<ServiceProcess> alive = idle.keySet().stream().filter(process -> process != gone).toList();
        awaitIdle(path, alive, idle.get(gone), RELEASED_AFTER_PEER_LOSS);
    }

    private void awaitIdle(String path, List<ServiceProcess> processes, double directorFewer, Duration within) {
        Map<ServiceProcess, Double> now = new LinkedHashMap<>();
        try {
            await(path + ": every stream released on both sides").atMost(within)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        now.clear();
                        for (ServiceProcess process : processes) {
                            now.put(process, process.metrics().sum(Series.QUIC_STREAMS_OPEN));
                        }
                        return processes.stream().allMatch(process -> now.get(process)
                                == idle.get(process) - (process == director ? directorFewer : 0));
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(path + ": connection_swap_quic_streams_open " + ServiceProcess.describe(now)
                    + ", idle " + ServiceProcess.describe(idle)
                    + (directorFewer > 0 ? " (director " + directorFewer + " fewer)" : ""), e);
        }
        System.out.println(path + ": back to idle " + ServiceProcess.describe(now));
    }

    private double steadyStreams(ServiceProcess process) {
        double[] last = {-1};
        await(process.name() + " streams settle").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    double now = process.metrics().sum(Series.QUIC_STREAMS_OPEN);
                    boolean same = now == last[0];
                    last[0] = now;
                    return same;
                });
        return last[0];
    }
}
