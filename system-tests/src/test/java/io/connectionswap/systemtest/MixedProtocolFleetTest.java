package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.client.stream.GenerationResult;
import io.connectionswap.director.registry.AddressResolver;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.net.Ports;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A fleet in the middle of an upgrade. worker-a registers the token-stream feature: the director reads its
 * generations' frames from one tagged stream per link connection. worker-b is found through DNS and never registers,
 * so the director speaks the base protocol to it (each generation's frames on its own stream), as it does to a worker
 * of a version without the feature. Generations move both ways between the two: worker-a drains to worker-b, then
 * worker-b drains to a new worker-a. Each arrives whole: every token once, in order, the model's text.
 */
class MixedProtocolFleetTest {

    /**
     * 2 s per generation at 20 ms a token: one handed to a worker just before it stops is still running when the
     * director moves it, even when the director learns of the drain from its next health poll (every 500 ms).
     */
    private static final int MAX_TOKENS = 100;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static final String TOKEN_STREAM_WORKER = "worker-a";
    /** The base-protocol worker's own label, which its generations carry. */
    private static final String BASE_WORKER = "worker-b";
    /** The client's per-token lines ({@code received token}), at WARN in the in-JVM cluster. */
    private static final String TOKEN_LOG = "io.connectionswap.client.tokens";

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");
    /** What the director's registry calls the worker it found through DNS: its address. */
    private String baseLabel;

    @Test
    void generationsMoveWholeBetweenATokenStreamWorkerAndABaseProtocolWorker() throws Exception {
        int baseQuicPort = Ports.freeUdpPort();
        int baseHttpPort = Ports.freeTcpPort();
        baseLabel = "127.0.0.1:" + baseQuicPort;
        List<InetAddress> loopback = List.of(InetAddress.getByName("127.0.0.1"));
        AddressResolver resolver = host -> CompletableFuture.completedFuture(loopback);
        cluster.startDirector(context -> context.getBeanFactory().registerSingleton("testResolver", resolver),
                "--CONNECTION_SWAP_DISCOVERY_DNS=workers.test:" + baseQuicPort,
                "--CONNECTION_SWAP_DISCOVERY_INTERVAL=200ms",
                "--CONNECTION_SWAP_DISCOVERY_HEALTH_PORT=" + baseHttpPort);
        ConfigurableApplicationContext baseWorker = cluster.startWorker(BASE_WORKER, baseQuicPort,
                "--CONNECTION_SWAP_WORKER_REGISTER=false", "--server.port=" + baseHttpPort);
        ConfigurableApplicationContext tokenStreamWorker = cluster.startWorker(TOKEN_STREAM_WORKER, 0);
        awaitBothProtocols();

        InJvmCluster.Recorder client = cluster.startClient(String.valueOf(MAX_TOKENS),
                "--CONNECTION_SWAP_CLIENT_CONCURRENCY=4");
        awaitStreamsOnBoth();
        awaitFirstTokenOfANewGeneration(TOKEN_STREAM_WORKER);
        cluster.stop(tokenStreamWorker);
        await("a generation moved from the token-stream worker to the base-protocol one").atMost(DEADLINE)
                .until(() -> moved(client, TOKEN_STREAM_WORKER, BASE_WORKER));

        cluster.startWorker(TOKEN_STREAM_WORKER, 0);
        awaitBothProtocols();
        awaitStreamsOnBoth();
        awaitFirstTokenOfANewGeneration(BASE_WORKER);
        cluster.stop(baseWorker);
        await("a generation moved from the base-protocol worker to the token-stream one").atMost(DEADLINE)
                .until(() -> moved(client, BASE_WORKER, TOKEN_STREAM_WORKER));
        cluster.stop(client.context);

        DeterministicTokenModel model = new DeterministicTokenModel();
        assertThat(client.completed).isNotEmpty();
        for (GenerationResult result : client.completed) {
            assertThat(result.sequenceErrors()).as("sequence errors of %s", result).isZero();
            assertThat(result.tokens()).as("tokens of %s", result).isEqualTo(MAX_TOKENS);
            assertThat(result.text()).as("text of %s", result).isEqualTo(model.text(result.prompt(), 1, MAX_TOKENS));
        }
    }

    /** Both workers eligible ({@link #endpoint}), worker-a on token streams, worker-b (never registered) on the base protocol. */
    private void awaitBothProtocols() {
        awaitBoth("worker-a on token streams and worker-b on the base protocol", (tokenStream, base) ->
                tokenStream.supports(WorkerRegistration.TOKEN_STREAM) && tokenStream.tokenStream()
                        && !base.supports(WorkerRegistration.TOKEN_STREAM) && !base.tokenStream());
    }

    private void awaitStreamsOnBoth() {
        awaitBoth("generations on both workers",
                (tokenStream, base) -> tokenStream.activeStreams() > 0 && base.activeStreams() > 0);
    }

    /** Until both workers are eligible and {@code condition} holds of (worker-a, worker-b). */
    private void awaitBoth(String what, BiPredicate<WorkerEndpoint, WorkerEndpoint> condition) {
        await(what).atMost(DEADLINE).until(() -> {
            WorkerEndpoint tokenStream = endpoint(TOKEN_STREAM_WORKER);
            WorkerEndpoint base = endpoint(baseLabel);
            return tokenStream != null && base != null && condition.test(tokenStream, base);
        });
    }

    /**
     * Until a generation starts on {@code label} and its first token reaches the client. Stopped right after, the
     * worker holds a generation with {@code MAX_TOKENS - 1} tokens to go, which the director must move mid-way
     * (stopped at a random moment, all its generations may end on it before the director moves them: worker-b drains
     * without telling the director, which learns it from a health poll). Waiting for the worker's hand-off alone was
     * not enough: stopped before the first token, the generation moved before the client had heard of the worker, so
     * it did not count as moved from it (seen once).
     */
    private static void awaitFirstTokenOfANewGeneration(String label) {
        try (CapturedLogs tokens = CapturedLogs.of(TOKEN_LOG)) {
            Logger logger = tokens.logger();
            Level level = logger.getLevel();
            logger.setAdditive(false); // the lines reach the capture only, not the console
            logger.setLevel(Level.INFO);
            try {
                await("the first token of a new generation on " + label).atMost(DEADLINE)
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> tokens.events().stream().map(ILoggingEvent::getFormattedMessage)
                                .anyMatch(line -> line.contains(" worker=" + label + " ")
                                        && line.contains(" sequence=1 ")));
            } finally {
                logger.setLevel(level);
                logger.setAdditive(true);
            }
        }
    }

    /** The eligible endpoint labelled {@code label} (a stopped worker's endpoint may linger, out of rotation). */
    private WorkerEndpoint endpoint(String label) {
        return cluster.registry().workers().stream()
                .filter(worker -> worker.label().equals(label) && worker.eligible())
                .findFirst().orElse(null);
    }

    /** Whether a completed generation was served by {@code from}, then by {@code to}. */
    private static boolean moved(InJvmCluster.Recorder client, String from, String to) {
        return client.completed.stream().map(GenerationResult::workers)
                .anyMatch(workers -> {
                    int at = workers.indexOf(from);
                    return at >= 0 && workers.subList(at + 1, workers.size()).contains(to);
                });
    }
}
