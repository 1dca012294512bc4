package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.RawGeneration;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failures that must end a generation instead of moving it, with the real jars: a generation that moved as often as
 * CONNECTION_SWAP_MIGRATION_LIMIT allows gets a final MIGRATION_LIMIT error at the next failure, and a request every
 * worker refuses as the request's fault ends at once with that error, with no swap at all.
 */
@ExtendWith(DumpLogsOnFailure.class)
class ErrorsAreNotFailuresIT {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final TlsIdentity clientIdentity = TlsIdentity.of(CertificateDirectory.locate(null), "client");
    @AutoClose
    private ProcessCluster cluster;

    @Test
    void aGenerationThatMovedAsOftenAsAllowedEndsWithMigrationLimitAtTheNextFailure(TestInfo test) throws Exception {
        cluster = new ProcessCluster(name(test), "50ms");
        ServiceProcess director = cluster.startDirector("CONNECTION_SWAP_MIGRATION_LIMIT=1");
        cluster.startTwoWorkers();

        try (RawQuicClient raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort())) {
            GenerationRequest request = GenerationRequest.completion("g-limit", "migration-limit", 2000);
            RawGeneration first = RawGeneration.start(raw, request);
            String firstWorker = first.awaitWorker(DEADLINE);
            first.awaitSequence(5, DEADLINE);
            worker(firstWorker).kill9();
            Retry retry = first.awaitEnd(Retry.class, DEADLINE);
            assertThat(retry.lastSequence()).isEqualTo(first.lastSequence());

            // the one move allowed
            GenerationRequest resumed = request.resumedAfter(retry.lastSequence(), first.text(), retry.failedWorker());
            assertThat(resumed.migrations()).isEqualTo(1);
            RawGeneration second = RawGeneration.start(raw, resumed);
            String secondWorker = second.awaitWorker(DEADLINE);
            assertThat(secondWorker).isNotEqualTo(firstWorker);
            second.awaitSequence(retry.lastSequence() + 5, DEADLINE);
            worker(secondWorker).kill9();

            StreamError error = second.awaitEnd(StreamError.class, DEADLINE);
            assertThat(error.code()).isEqualTo(ErrorCode.MIGRATION_LIMIT);
            assertThat(error.message()).contains("moved 1 times").contains("CONNECTION_SWAP_MIGRATION_LIMIT=1")
                    .contains("last failure:").contains(secondWorker);
            assertThat(raw.connection().isActive()).as("the connection lives on").isTrue();
        }
        PrometheusText metrics = director.metrics();
        assertThat(metrics.sum("connection_swap_migration_limit_total")).isEqualTo(1);
        assertThat(metrics.sum("connection_swap_swaps_total")).as("only the one allowed move was a swap").isEqualTo(1);
        assertThat(metrics.sum("connection_swap_generations_total", "finish_reason", "error"))
                .as("the generation ended once, with an error").isEqualTo(1);
        assertThat(metrics.sum("connection_swap_generations_total")).isEqualTo(1);
        assertThat(metrics.sum("connection_swap_streams_started_total", "kind", "new")).isEqualTo(1);
        assertThat(metrics.sum("connection_swap_streams_started_total", "kind", "resumed")).isEqualTo(1);
        assertThat(metrics.sum("connection_swap_time_to_first_token_seconds_count")).isEqualTo(1);
        assertThat(director.logLines("generation reached the migration limit")).hasSize(1);
        assertThat(cluster.leakReports()).isEmpty();
    }

    @Test
    void aRequestEveryWorkerRefusesEndsAtOnceWithItsErrorAndNothingIsSwapped(TestInfo test) throws Exception {
        cluster = new ProcessCluster(name(test), "50ms");
        // the director takes requests up to 8 MiB, the workers only up to their default 4 MiB
        ServiceProcess director = cluster.startDirector("CONNECTION_SWAP_MAX_REQUEST_BYTES=8MB");
        cluster.startTwoWorkers();
        ServiceProcess client = cluster.startStreamingClient(10);

        try (RawQuicClient raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort())) {
            long started = System.nanoTime();
            RawGeneration tooBigForWorkers = RawGeneration.start(raw,
                    GenerationRequest.completion("g-5mib", "x".repeat(5 * 1024 * 1024), 10));
            StreamError refused = tooBigForWorkers.awaitEnd(StreamError.class, DEADLINE);
            assertThat(refused.code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("ends within seconds")
                    .isLessThan(Duration.ofSeconds(15));

            RawGeneration tooBigForDirector = RawGeneration.start(raw,
                    GenerationRequest.completion("g-9mib", "y".repeat(9 * 1024 * 1024), 10));
            assertThat(tooBigForDirector.awaitEnd(StreamError.class, DEADLINE).code())
                    .isEqualTo(ErrorCode.REQUEST_TOO_LARGE);

            RawGeneration small = RawGeneration.start(raw, GenerationRequest.completion("g-small", "small", 10));
            small.awaitEnd(End.class, DEADLINE);
            assertThat(small.lastSequence()).isEqualTo(10);
        }
        double tokens = client.metrics().sum("connection_swap_client_tokens_total");
        await("the client keeps streaming").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= tokens + 40);
        // the small generation and at least one of the client's 100-token generations ended by length
        await("a client generation completes").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> director.metrics().sum("connection_swap_generations_total", "finish_reason", "length") >= 2);
        PrometheusText metrics = director.metrics();
        assertThat(metrics.sum("connection_swap_swaps_total")).as("no swap, no retry storm").isZero();
        assertThat(metrics.sum("connection_swap_request_errors_total", "code", "REQUEST_TOO_LARGE")).isEqualTo(1);
        assertThat(metrics.sum("connection_swap_limit_hits_total", "limit", "request_size")).isEqualTo(1);
        // the request the workers refused ended with an error; the one the director refused never started
        assertThat(metrics.sum("connection_swap_generations_total", "finish_reason", "error")).isEqualTo(1);
        assertThat(metrics.sum("connection_swap_generations_total", "finish_reason", "length"))
                .as("the small generation and the client's").isGreaterThanOrEqualTo(2);
        assertThat(metrics.sum("connection_swap_workers", "state", "healthy")).as("never held against the workers").isEqualTo(2);
        assertThat(director.logLines("worker refused the request; ending the client's stream with its error")).hasSize(1);
        assertThat(client.metrics().sum("connection_swap_client_sequence_errors_total")).isZero();
        assertThat(cluster.leakReports()).isEmpty();
    }

    private ServiceProcess worker(String label) {
        return cluster.processes().stream().filter(p -> p.name().equals(label)).findFirst().orElseThrow();
    }

    private static String name(TestInfo test) {
        return test.getTestMethod().orElseThrow().getName();
    }
}
