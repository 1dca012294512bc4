package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.systemtest.support.DirectorHealth;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.RawGeneration;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile and broken peers against the real jars: a worker registering a health URL Java cannot poll, a slowloris
 * of 2 000 streams that never complete a frame, a client that stops reading. Each is refused or cut off with a clear
 * error and a counted limit, and everything else keeps serving.
 */
@ExtendWith(DumpLogsOnFailure.class)
class DirectorLimitsIT {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final TlsIdentity clientIdentity = TlsIdentity.of(CertificateDirectory.locate(null), "client");
    @AutoClose
    private ProcessCluster cluster;

    @Test
    void aWorkerWithAHealthUrlWithoutAHostIsRefusedAndTheOthersKeepBeingPolledAndServing(TestInfo test) {
        cluster = new ProcessCluster(name(test), "50ms");
        ServiceProcess director = cluster.startDirector();
        cluster.startWorker("worker-a");
        cluster.startWorker("worker-b");
        cluster.awaitHealthyWorkers(2);
        ServiceProcess client = cluster.startClient("CONNECTION_SWAP_MAX_TOKENS=100", "CONNECTION_SWAP_CLIENT_CONCURRENCY=2");
        await("the client streams").atMost(ProcessCluster.STARTUP).pollInterval(Duration.ofMillis(200))
                .until(() -> client.ready() && client.metrics().sum("connection_swap_client_tokens_total") >= 40);
        // started last, so that the client's start (over 30 s on a loaded machine) cannot push the checks below past
        // worker-c's retry of its registration 30 s after the refusal
        // http://worker_a:8081/... : '_' is not allowed in a host name, so java.net.URI sees no host at all
        ServiceProcess bad = cluster.startWorker("worker-c",
                "CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL=http://worker_a:8081/actuator/health");

        await("the director refuses worker-c's registration").atMost(ProcessCluster.STARTUP)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !director.logLines("refused worker registration").isEmpty());
        double tokensAtTheRefusal = client.metrics().sum("connection_swap_client_tokens_total");
        String refusal = director.logLines("refused worker registration").get(0);
        assertThat(refusal).contains("worker.label=worker-c")
                .contains("health URL 'http://worker_a:8081/actuator/health' has no host")
                .contains("'_' is not allowed");
        await("worker-c is told why").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> !bad.logLines("director refused registration").isEmpty());
        assertThat(bad.logLines("director refused registration").get(0)).contains("BAD_REQUEST").contains("has no host");

        Map<String, String> polls = DirectorHealth.lastPolls(director);
        assertThat(polls).containsOnlyKeys("worker-a", "worker-b");
        await("the other workers are still polled").atMost(DEADLINE).pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    Map<String, String> now = DirectorHealth.lastPolls(director);
                    return !now.get("worker-a").equals(polls.get("worker-a"))
                            && !now.get("worker-b").equals(polls.get("worker-b"));
                });
        // a refusal is not retried at once: worker-c comes back after 30 s, not at every heartbeat timeout (3.5 s)
        AtomicReference<Double> refused = new AtomicReference<>();
        Holds.throughout(Duration.ofSeconds(5), Duration.ofMillis(250),
                () -> "worker-c keeps away after the refusal: registrations refused " + refused.get(),
                () -> {
                    refused.set(director.metrics().sum("connection_swap_registrations_refused_total"));
                    return refused.get() == 1;
                });
        await("the client still streams after the refusal").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= tokensAtTheRefusal + 40);
        assertThat(director.logLines("refused worker registration")).hasSize(1);
        assertThat(director.logLines("ended stream after bad input")).as("one line per refusal").isEmpty();
        assertThat(bad.logLines("director refused registration")).hasSize(1);
        assertThat(bad.logLines("director refused registration").get(0)).contains("retry.in=PT30S");
        assertThat(bad.logLines("no heartbeat echo")).as("the refused connection is closed, not timed out").isEmpty();
        PrometheusText metrics = director.metrics();
        assertThat(metrics.sum("connection_swap_task_failures_total")).isZero();
        assertThat(metrics.sum("connection_swap_workers", "state", "healthy")).isEqualTo(2);
        assertThat(client.metrics().sum("connection_swap_client_sequence_errors_total")).isZero();
    }

    @Test
    void aSlowlorisOfTwoThousandStreamsIsResetAfterTheFirstFrameTimeoutWhileARealStreamFlows(TestInfo test)
            throws Exception {
        cluster = new ProcessCluster(name(test), "50ms");
        ServiceProcess director = cluster.startDirector("CONNECTION_SWAP_FIRST_FRAME_TIMEOUT=3s",
                "CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION=2100");
        cluster.startTwoWorkers();
        ServiceProcess client = cluster.startStreamingClient(10);

        try (RawQuicClient raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort())) {
            List<RawQuicClient.Stream> loris = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                RawQuicClient.Stream stream = raw.openStream();
                // three of a GENERATE header's five bytes, then nothing
                stream.writeBytesAsync(Unpooled.wrappedBuffer(new byte[] {(byte) FrameType.GENERATE.code(), 0, 0}));
                loris.add(stream);
            }
            // a real generation on the same connection: 80 tokens, 4 s
            RawGeneration real = RawGeneration.start(raw, GenerationRequest.completion("g-real", "real-stream", 80));
            double clientTokens = client.metrics().sum("connection_swap_client_tokens_total");
            real.awaitEnd(End.class, DEADLINE);
            assertThat(real.lastSequence()).isEqualTo(80);

            await("every slowloris stream is reset with STREAM_TIMEOUT").atMost(DEADLINE)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> loris.stream().allMatch(s -> s.resetCode() == ErrorCode.STREAM_TIMEOUT.code()));
            assertThat(director.metrics().sum("connection_swap_limit_hits_total", "limit", "first_frame")).isEqualTo(2000);
            assertThat(client.metrics().sum("connection_swap_client_tokens_total")).as("the other client kept streaming")
                    .isGreaterThan(clientTokens + 40);
            assertThat(raw.connection().isActive()).isTrue();
        }
        await("the director holds only the streams in flight again").atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(300))
                .until(() -> director.metrics().sum("connection_swap_quic_streams_open") < 50);
        assertThat(client.metrics().sum("connection_swap_client_sequence_errors_total")).isZero();
        assertThat(director.metrics().sum("connection_swap_swaps_total")).isZero();
    }

    @Test
    void aClientThatStopsReadingHoldsItsWorkerBackAndIsCutOffWithTooSlow(TestInfo test) throws Exception {
        cluster = new ProcessCluster(name(test), "1ms");
        ServiceProcess director = cluster.startDirector("CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT=3s");
        ServiceProcess workerA = cluster.startWorker("worker-a");
        ServiceProcess workerB = cluster.startWorker("worker-b");
        cluster.awaitHealthyWorkers(2);
        // the links' heartbeat streams and the workers' registration streams
        double idleStreams = director.metrics().sum("connection_swap_quic_streams_open");

        // a 16 KiB stream window: the director can send about a thousand tokens before this client must read
        QuicSettings smallWindow = new QuicSettings(Duration.ofSeconds(10), 64L * 1024 * 1024, 16 * 1024, 1000,
                FrameLimits.DEFAULTS);
        try (RawQuicClient slow = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort(),
                smallWindow)) {
            RawQuicClient.Stream stream = slow.openStream();
            stream.pauseReading();
            stream.write(GenerationRequest.completion("g-slow", "slow-reader", 60_000));

            AtomicReference<Double> lastRelayed = new AtomicReference<>(-1.0);
            await("the director stops relaying: back-pressure up to the worker (a PAUSE on its stream; its tokens come on the token stream)").atMost(DEADLINE)
                    .during(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        PrometheusText now = director.metrics();
                        double relayed = now.sum("connection_swap_tokens_relayed_total");
                        return relayed > 0 && relayed == lastRelayed.getAndSet(relayed)
                                && now.sum("connection_swap_streams_active") == 1;
                    });
            await("the client is cut off").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> director.metrics().sum("connection_swap_limit_hits_total", "limit", "slow_client") == 1);
            assertThat(director.logLines("client stopped reading; resetting its stream")).hasSize(1);
            await("the worker stops and every stream is released").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> director.metrics().sum("connection_swap_streams_active") == 0
                            && workerA.metrics().sum("connection_swap_worker_streams_active") == 0
                            && workerB.metrics().sum("connection_swap_worker_streams_active") == 0);
            assertThat(workerA.metrics().sum("connection_swap_worker_tokens_total") + workerB.metrics().sum("connection_swap_worker_tokens_total"))
                    .as("the worker never produced the whole generation").isLessThan(60_000);
        }
        try (RawQuicClient reader = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort())) {
            RawGeneration normal = RawGeneration.start(reader, GenerationRequest.completion("g-normal", "normal", 200));
            normal.awaitEnd(End.class, DEADLINE);
            assertThat(normal.lastSequence()).isEqualTo(200);
        }
        await("streams back to what the links hold").atMost(DEADLINE).pollInterval(Duration.ofMillis(300))
                .until(() -> director.metrics().sum("connection_swap_quic_streams_open") <= idleStreams + 6);
        assertThat(director.metrics().sum("connection_swap_swaps_total")).isZero();
        assertThat(cluster.leakReports()).isEmpty();
    }

    private static String name(TestInfo test) {
        return test.getTestMethod().orElseThrow().getName();
    }
}
