package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.quic.ShutdownCloseWindow;
import io.connectionswap.systemtest.support.DirectorHealth;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Swaps with the real jars as separate processes on loopback: a worker is killed, drained (within its drain timeout
 * or past it) or reports DOWN while it serves a stream, and the client's stream continues on the other worker over
 * the same QUIC connection with no token lost or repeated. The client runs two generations at a time, so each worker
 * serves one.
 */
@ExtendWith(DumpLogsOnFailure.class)
class SwapProcessIT {

    private static final Duration SWAP_DEADLINE = Duration.ofSeconds(30);
    /**
     * Longer than any test here at 50 ms a token (50 minutes) and within the director's default maxTokens limit
     * (65 536): no generation ends by itself.
     */
    private static final int LONG_GENERATION = 60_000;
    /** A drain timeout shorter than a generation here: the generation is cut at its end. */
    private static final Duration SHORT_DRAIN = Duration.ofSeconds(1);
    /**
     * A worker's stop takes its drain, the waits after a drain timeout
     * ({@link ShutdownCloseWindow#afterDrainTimeout()}) and about a second for its socket and the JVM's exit; the rest
     * is room for five JVMs on two busy cores.
     */
    private static final Duration EXIT_SLACK = Duration.ofSeconds(8);
    /** The exit status of a JVM stopped by SIGTERM once its shutdown hooks have run. */
    private static final int SIGTERM_EXIT_STATUS = 143;

    @AutoClose
    private ProcessCluster cluster;
    private ServiceProcess client;

    private void start(TestInfo test, String... workerAEnv) {
        start(test, 100, workerAEnv);
    }

    private void start(TestInfo test, int maxTokens, String... workerAEnv) {
        startWith(test, maxTokens, new String[0], workerAEnv);
    }

    private void startWith(TestInfo test, int maxTokens, String[] directorEnv, String... workerAEnv) {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        cluster.startDirector(directorEnv);
        cluster.startWorker("worker-a", workerAEnv);
        cluster.startWorker("worker-b");
        cluster.awaitHealthyWorkers(2);
        startClient(maxTokens);
    }

    /** Starts the client, two generations of {@code maxTokens} at a time, and waits for its first tokens. */
    private void startClient(int maxTokens) {
        client = cluster.startClient("CONNECTION_SWAP_MAX_TOKENS=" + maxTokens, "CONNECTION_SWAP_CLIENT_CONCURRENCY=2");
        await("both workers serve a stream").atMost(ProcessCluster.STARTUP).pollInterval(Duration.ofMillis(200))
                .until(() -> client.ready() && client.metrics().sum("connection_swap_client_tokens_total") >= 10);
    }

    @Test
    void killNineOfTheServingWorkerContinuesTheStreamOnTheOtherWorker(TestInfo test) {
        start(test);
        ServiceProcess workerA = worker("worker-a");
        awaitServing(workerA);

        workerA.kill9();

        double tokensAtKill = awaitSwapAndMoreTokens();
        PrometheusText director = cluster.director().metrics();
        assertThat(director.sum("connection_swap_swaps_total", labels -> "worker-a".equals(labels.get("worker"))))
                .as("swaps off worker-a").isGreaterThanOrEqualTo(1);
        assertThat(director.sum("connection_swap_swaps_total", labels -> "drain".equals(labels.get("reason")))).isZero();
        assertClientKeptItsConnectionAndEveryToken(tokensAtKill);
        report("kill -9", director);
    }

    @Test
    void sigtermDrainsTheWorkerWhichExitsAndNothingIsLost(TestInfo test) {
        start(test);
        ServiceProcess workerA = worker("worker-a");
        awaitServing(workerA);

        workerA.sigterm();

        assertThat(workerA.waitForExit(Duration.ofSeconds(40))).as("worker-a exits after draining").isTrue();
        assertThat(workerA.logLines("drained; closing quic server")).isNotEmpty();
        double tokensAtDrain = awaitSwapAndMoreTokens();
        PrometheusText director = cluster.director().metrics();
        assertThat(director.sum("connection_swap_swaps_total", labels -> "drain".equals(labels.get("reason"))
                && "worker-a".equals(labels.get("worker")))).as("connection_swap_swaps_total{reason=drain,worker=worker-a}")
                .isGreaterThanOrEqualTo(1);
        assertClientKeptItsConnectionAndEveryToken(tokensAtDrain);
        report("drain", director);
    }

    /**
     * A drain that times out with a generation still running. worker-a is found through DNS and does not register,
     * so no DRAIN message tells the director of its SIGTERM: the director learns of the drain from worker-a's health
     * (OUT_OF_SERVICE), polled every 5 s here, and the SIGTERM comes just after a poll. worker-a's drain timeout is
     * 1 s, and its generation (60 000 tokens) still runs at that timeout: it ends with ERROR SHUTTING_DOWN behind the
     * tokens it wrote, the director moves it to worker-b (reason {@code drain}), the client gets every token once, and
     * worker-a exits, as SIGTERM leaves a JVM whose shutdown ran, within its drain and the waits after it.
     */
    @Test
    void aGenerationStillRunningWhenTheDrainTimesOutMovesWithEveryTokenOnce(TestInfo test) {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        String addressA = "127.0.0.1:" + Ports.freeUdpPort();
        ServiceProcess workerA = cluster.startWorker("worker-a", "CONNECTION_SWAP_WORKER_ADDR=" + addressA,
                "CONNECTION_SWAP_WORKER_REGISTER=false",
                "CONNECTION_SWAP_DRAIN_TIMEOUT=" + SHORT_DRAIN.toMillis() + "ms");
        // a stall of worker-a (a pause of its JVM on a busy machine) would move its one generation, for good, before
        // the SIGTERM: this test is about the drain, so the stall watch waits longer than the pauses seen here (400 ms+)
        ServiceProcess director = cluster.startDirector(ProcessCluster.QUIET_HEALTH_POLLS,
                "CONNECTION_SWAP_STALL_MINIMUM=3s", "CONNECTION_SWAP_DISCOVERY_DNS=" + addressA,
                "CONNECTION_SWAP_DISCOVERY_HEALTH_PORT=" + workerA.httpPort());
        cluster.startWorker("worker-b");
        cluster.awaitHealthyWorkers(2);
        startClient(LONG_GENERATION);
        awaitServing(workerA);
        // the director names a worker found through DNS by its address; its next poll, 5 s after this one, would see
        // the drain (OUT_OF_SERVICE) and move the stream before the drain timeout
        String polled = DirectorHealth.lastPolls(director).get(addressA);
        await("the director polls worker-a").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(50))
                .until(() -> !polled.equals(DirectorHealth.lastPolls(director).get(addressA)));

        long sigterm = workerA.sigterm();

        Duration exitBound = SHORT_DRAIN.plus(ShutdownCloseWindow.afterDrainTimeout()).plus(EXIT_SLACK);
        assertThat(workerA.waitForExit(exitBound)).as("worker-a exits within %s of its SIGTERM", exitBound).isTrue();
        System.out.printf(Locale.ROOT, "worker-a exited %d ms after its SIGTERM (drain timeout %d ms)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm), SHORT_DRAIN.toMillis());
        // a JVM that SIGTERM stopped exits 128 + 15 once its shutdown hooks (the drain) have run; SIGKILL gives 137
        assertThat(workerA.process().exitValue()).as("worker-a's exit status").isEqualTo(SIGTERM_EXIT_STATUS);
        assertThat(workerA.logLines("drain timed out; ending stream")).as("generations cut at the drain timeout")
                .isNotEmpty();
        assertThat(workerA.logLines("streams ended at the drain timeout were read; closing quic server")).isNotEmpty();
        double tokensAtCut = awaitSwapAndMoreTokens();
        assertThat(director.logLines("worker stream ended with error")).as("the director's end of the cut stream")
                .anySatisfy(line -> assertThat(line).contains("reason=drain").contains("drain timed out"));
        assertThat(director.logLines("asking client to retry on next worker")).as("the move")
                .anySatisfy(line -> assertThat(line).contains("reason=drain"));
        double drains = drainsOff(addressA);
        assertThat(drains).as("connection_swap_swaps_total{reason=drain,worker=%s}", addressA).isGreaterThanOrEqualTo(1);
        PrometheusText metrics = director.metrics();
        assertThat(metrics.sum("connection_swap_swaps_total", labels -> addressA.equals(labels.get("worker"))))
                .as("swaps off worker-a, every one a drain").isEqualTo(drains);
        assertClientKeptItsConnectionAndEveryToken(tokensAtCut);
        report("drain timeout", metrics);
    }

    /**
     * Every worker is restarted with SIGTERM, one after the other, while the client streams; each SIGTERM must
     * drain (reason {@code drain}) the streams the worker serves at that moment, and the client keeps its one
     * connection and every token.
     *
     * <p>The generations last longer than the whole test (100 000 tokens at 50 ms), so no generation ends by itself
     * while workers restart: each SIGTERM certainly lands on streams in progress, and no new generation is handed out
     * meanwhile. With short generations one could end just as a worker was told to stop, and its successor be
     * handed to that worker, already draining: it refuses the hand-off with ERROR SHUTTING_DOWN, which the director
     * (RelaySession) counts as a {@code drain} of that worker and moves on, so such a refusal could stand in for the
     * drain of a stream in progress that this test is about. The drains here are of streams in progress only, and
     * no worker ends a stream with another error ({@code stream_error} stays at zero).
     */
    @Test
    void rollingRestartOfEveryWorkerLosesNoToken(TestInfo test) {
        start(test, LONG_GENERATION);
        Set<String> notRestarted = new LinkedHashSet<>(List.of("worker-a", "worker-b"));
        while (!notRestarted.isEmpty()) {
            // the next one: a worker not restarted yet that serves a stream, so that its SIGTERM drains it (after
            // the first drain, the other old worker serves every stream)
            ServiceProcess old = awaitServingOneOf(notRestarted);
            String label = old.name();
            double streams = old.metrics().sum("connection_swap_worker_streams_active");
            double drainsBefore = drainsOff(label);
            double swapsBefore = client.metrics().sum("connection_swap_client_swaps_total");

            old.sigterm();

            assertThat(old.waitForExit(Duration.ofSeconds(40))).as(label + " exits after draining").isTrue();
            assertThat(old.logLines("drained; closing quic server")).as(label + " drained every stream").isNotEmpty();
            await("client swapped every stream off " + label).atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(100))
                    .until(() -> client.metrics().sum("connection_swap_client_swaps_total") >= swapsBefore + streams);
            assertThat(drainsOff(label) - drainsBefore)
                    .as("connection_swap_swaps_total{reason=drain,worker=%s}: its SIGTERM drained streams in progress (%s served)",
                            label, (long) streams)
                    .isGreaterThanOrEqualTo(1);
            cluster.startWorker(label);
            cluster.awaitHealthyWorkers(2);
            notRestarted.remove(label);
        }
        double tokens = client.metrics().sum("connection_swap_client_tokens_total");
        await("tokens keep coming").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= tokens + 40);
        PrometheusText director = cluster.director().metrics();
        assertThat(director.sum("connection_swap_swaps_total", "reason", "drain")).as("connection_swap_swaps_total{reason=drain}").isGreaterThanOrEqualTo(2);
        assertThat(director.sum("connection_swap_swaps_total", "reason", "stream_error"))
                .as("connection_swap_swaps_total{reason=stream_error}: no worker ended a stream with an error").isZero();
        assertClientKeptItsConnectionAndEveryToken(tokens);
        report("rolling restart", director);
    }

    @Test
    void hungWorkerIsCaughtAsAStall(TestInfo test) throws Exception {
        // health polls far apart: two poll timeouts of the stopped worker would otherwise race the stall watch
        // (both find the hang within about half a second), and this test is about the stall watch
        startWith(test, 100, new String[] {ProcessCluster.QUIET_HEALTH_POLLS});
        ServiceProcess workerA = worker("worker-a");
        awaitServing(workerA);
        workerA.freeze();
        try {
            double tokensAtHang = awaitSwapAndMoreTokens();
            PrometheusText director = cluster.director().metrics();
            assertThat(director.sum("connection_swap_swaps_total", labels -> "stall".equals(labels.get("reason"))
                    && "worker-a".equals(labels.get("worker")))).as("connection_swap_swaps_total{reason=stall,worker=worker-a}")
                    .isGreaterThanOrEqualTo(1);
            assertClientKeptItsConnectionAndEveryToken(tokensAtHang);
            report("hang", director);
        } finally {
            workerA.resume();
        }
    }

    /**
     * Both workers stop for under a second at the same moment, as when their host runs out of CPU: the director holds
     * their hang (every worker in rotation silent at once), moves no stream, and every stream goes on when they
     * answer again. Health polls far apart, so that only the stall watch judges the silence.
     */
    @Test
    void aPauseOfEveryWorkerAtOnceMovesNoStream(TestInfo test) {
        startWith(test, LONG_GENERATION, new String[] {ProcessCluster.QUIET_HEALTH_POLLS});
        ServiceProcess workerA = worker("worker-a");
        ServiceProcess workerB = worker("worker-b");
        awaitServing(workerA);
        awaitServing(workerB);
        ServiceProcess director = cluster.director();
        workerA.freeze();
        workerB.freeze();
        try {
            director.awaitLogLines("every worker in rotation is silent at once", 1);
        } finally {
            workerA.resume();
            workerB.resume();
        }
        assertThat(director.awaitLogLines("no longer holding the hang of silent workers", 1)).singleElement()
                .asString().contains("outcome=answered");
        double tokens = client.metrics().sum("connection_swap_client_tokens_total");
        await("tokens keep coming").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= tokens + 40);
        assertThat(director.metrics().sum("connection_swap_swaps_total")).as("connection_swap_swaps_total").isZero();
        PrometheusText metrics = client.metrics();
        assertThat(metrics.sum("connection_swap_client_swaps_total")).isZero();
        assertThat(metrics.sum("connection_swap_client_sequence_errors_total")).as("gaps and duplicates").isZero();
        assertThat(metrics.sum("connection_swap_client_reconnects_total")).as("reconnects").isZero();
        assertThat(director.logLines("worker unhealthy")).isEmpty();
    }

    @Test
    void healthTurningDownSwapsByPollingAndTheRecoveredWorkerTakesStreamsAgain(TestInfo test) {
        // short generations, so new streams are handed out often once worker-a is back
        start(test, 20, "CONNECTION_SWAP_WORKER_FAIL_AFTER=3s", "CONNECTION_SWAP_WORKER_RECOVER_AFTER=2s");
        ServiceProcess workerA = worker("worker-a");

        await("connection_swap_swaps_total{reason=health,worker=worker-a}").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.director().metrics().sum("connection_swap_swaps_total", labels -> "health".equals(labels.get("reason"))
                        && "worker-a".equals(labels.get("worker"))) >= 1);
        assertThat(workerA.logLines("simulating failure after 3s")).isNotEmpty();
        double handoffsAtFailure = workerA.metrics().sum("connection_swap_worker_handoffs_total");
        double tokensAtFailure = client.metrics().sum("connection_swap_client_tokens_total");

        await("worker-a recovers and takes streams again").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> workerA.metrics().sum("connection_swap_worker_handoffs_total") > handoffsAtFailure);
        assertThat(workerA.logLines("recovered from simulated failure")).isNotEmpty();
        assertThat(cluster.director().logLines("worker.label=worker-a polls.up=4 worker healthy")).isNotEmpty();
        assertClientKeptItsConnectionAndEveryToken(tokensAtFailure);
        report("health", cluster.director().metrics());
    }

    private ServiceProcess worker(String label) {
        return cluster.processes().stream().filter(p -> p.name().equals(label)).findFirst().orElseThrow();
    }

    /** The running process of a worker (a restarted worker has a dead predecessor of the same name). */
    private ServiceProcess liveWorker(String label) {
        return cluster.processes().stream().filter(p -> p.name().equals(label) && p.isAlive())
                .reduce((first, second) -> second).orElseThrow(() -> new AssertionError(label + " is not running"));
    }

    /** Waits until one of the named (running) workers serves a stream, and returns it. */
    private ServiceProcess awaitServingOneOf(Set<String> labels) {
        AtomicReference<ServiceProcess> serving = new AtomicReference<>();
        await("one of " + labels + " serves a stream").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    for (String label : labels) {
                        ServiceProcess worker = liveWorker(label);
                        if (worker.metrics().sum("connection_swap_worker_streams_active") >= 1) {
                            serving.set(worker);
                            return true;
                        }
                    }
                    return false;
                });
        return serving.get();
    }

    private double drainsOff(String label) {
        return cluster.director().metrics().sum("connection_swap_swaps_total",
                labels -> "drain".equals(labels.get("reason")) && label.equals(labels.get("worker")));
    }

    private void awaitServing(ServiceProcess worker) {
        await(worker.name() + " serves a stream").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> worker.metrics().sum("connection_swap_worker_streams_active") >= 1);
    }

    /** Waits for the client's swap and for tokens to keep coming; returns the token count at the swap. */
    private double awaitSwapAndMoreTokens() {
        await("client swaps").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> client.metrics().sum("connection_swap_client_swaps_total") >= 1);
        double atSwap = client.metrics().sum("connection_swap_client_tokens_total");
        await("tokens keep coming after the swap").atMost(SWAP_DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= atSwap + 40);
        return atSwap;
    }

    private void assertClientKeptItsConnectionAndEveryToken(double tokensBefore) {
        PrometheusText metrics = client.metrics();
        assertThat(metrics.sum("connection_swap_client_sequence_errors_total")).as("gaps and duplicates").isZero();
        assertThat(metrics.sum("connection_swap_client_reconnects_total")).as("reconnects").isZero();
        assertThat(metrics.sum("connection_swap_client_tokens_total")).isGreaterThan(tokensBefore);
        assertThat(cluster.director().metrics().sum("connection_swap_connections_opened_total", "peer", "client"))
                .as("client connections the director accepted").isEqualTo(1);
        assertThat(client.logLines("stream ended; requesting another worker")).isNotEmpty();
        assertThat(client.logLines("worker=worker-b").stream().anyMatch(line -> line.contains("worker assigned to stream")
                && !line.contains("resume.after=0"))).as("a generation resumed on worker-b").isTrue();
        assertThat(client.logLines("kind=")).as("sequence error lines").isEmpty();
        assertThat(cluster.leakReports()).as("Netty buffer leaks").isEmpty();
    }

    private static void report(String cause, PrometheusText director) {
        double count = director.sum("connection_swap_gap_seconds_count");
        double sum = director.sum("connection_swap_gap_seconds_sum");
        double max = director.sum("connection_swap_gap_seconds_max");
        System.out.printf(Locale.ROOT, "swap gap (%s): %d swaps, mean %.1f ms, max %.1f ms (failure detected -> first token of next worker)%n",
                cause, (long) count, count == 0 ? 0 : sum / count * 1000, max * 1000);
    }
}
