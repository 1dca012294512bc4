package io.connectionswap.bench;

import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.ClassHistogram;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * The chaos soak's processes: the director and the workers from their jars on loopback (fixed ports chosen free at
 * start, kept across restarts), their stream gauges and their heaps ({@code jcmd GC.class_histogram}: live objects
 * after a full GC).
 */
final class SoakProcesses implements AutoCloseable {

    /** Live heap may end this much above its level before the load (metric series, JIT, pools). */
    static final double HEAP_SLACK_MIB = 16;
    private static final String STREAM_CHANNEL = "io.netty.handler.codec.quic.QuicheQuicStreamChannel";
    /** Past the streams' 10 s linger and the connections' 10 s idle timeout, with room for a loaded machine. */
    private static final Duration STREAM_CHANNELS_DEADLINE = Duration.ofSeconds(60);
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");

    private final SoakOptions options;
    private final Path root = Paths.repositoryRoot();
    private final int directorPort = Ports.freeUdpPort();
    private final List<ChaosMonkey.Target> workers = new ArrayList<>();
    private ChildProcess director;

    SoakProcesses(SoakOptions options) {
        this.options = options;
    }

    int directorPort() {
        return directorPort;
    }

    Path certificates() {
        return root.resolve("certs");
    }

    List<ChaosMonkey.Target> workerTargets() {
        return workers;
    }

    void startCluster() throws Exception {
        Path logs = options.out().resolve("soak-logs");
        Files.createDirectories(logs);
        ChildProcess.pidFile(options.out().resolve("soak-children.pids"));
        int removed = Partitions.removeAll();
        if (removed > 0) {
            ChaosSoak.log("removed %d iptables rules left by an earlier soak", removed);
        }
        if (options.partitions() && !Partitions.available()) {
            throw new IllegalStateException("iptables cannot be used here: it needs the iptables"
                    + " command (Debian: apt-get install iptables) and root; or run with --no-partitions");
        }
        Map<String, String> common = new LinkedHashMap<>();
        common.put("CONNECTION_SWAP_CERTS_DIR", certificates().toString());
        common.put("CONNECTION_SWAP_TOKEN_INTERVAL", options.tokenInterval().toMillis() + "ms");
        // per-stream INFO lines (hundreds of thousands) off; WARN and ERROR (every swap, every fault) stay
        common.put("LOGGING_LEVEL_IO_CONNECTIONSWAP", "WARN");
        Map<String, String> directorEnv = new LinkedHashMap<>(common);
        directorEnv.put("CONNECTION_SWAP_DIRECTOR_ADDR", "127.0.0.1:" + directorPort);
        // a stall needs 400 ms of silence: seven JVMs share two cores here
        directorEnv.put("CONNECTION_SWAP_STALL_MINIMUM", "400ms");
        director = new ChildProcess("director", jar("director-service"), JVM, directorEnv, Ports.freeTcpPort(),
                logs.resolve("director.log")).start();
        for (int i = 1; i <= options.workers(); i++) {
            int port = Ports.freeUdpPort();
            Map<String, String> env = new LinkedHashMap<>(common);
            env.put("CONNECTION_SWAP_WORKER_ADDR", "127.0.0.1:" + port);
            env.put("CONNECTION_SWAP_WORKER_LABEL", "worker-" + i);
            env.put("CONNECTION_SWAP_DIRECTOR_TARGET", "127.0.0.1:" + directorPort);
            workers.add(new ChaosMonkey.Target(new ChildProcess("worker-" + i, jar("worker-service"), JVM, env,
                    Ports.freeTcpPort(), logs.resolve("worker-" + i + ".log")).start(), port));
        }
        ChaosSoak.await("director ready", Duration.ofSeconds(180), director::ready);
        awaitHealthyWorkers(Duration.ofSeconds(180));
    }

    void awaitHealthyWorkers(Duration timeout) throws InterruptedException {
        ChaosSoak.await(options.workers() + " healthy workers", timeout,
                () -> directorGauge(ChaosSoak.WORKERS, "state", "healthy") == options.workers());
    }

    double directorGauge(String name) {
        return gauge(director, name);
    }

    /** The sum of a gauge over the workers (NaN while one does not answer). */
    double workersGauge(String name) {
        return workers.stream().mapToDouble(worker -> gauge(worker.process, name)).sum();
    }

    private static double gauge(ChildProcess process, String name) {
        PrometheusText metrics = text(process.metrics());
        return metrics == null ? Double.NaN : metrics.sum(name);
    }

    private double directorGauge(String name, String label, String value) {
        PrometheusText metrics = text(director.metrics());
        return metrics == null ? Double.NaN : metrics.sum(name, label, value);
    }

    /** SIGTERM to the director, then the same director again; returns ms from SIGTERM to ready. */
    long restartDirector(SoakLoad load) throws InterruptedException {
        ChaosSoak.log("restarting the director");
        load.directorRestarting();
        long sent = director.sigterm();
        if (!director.waitForExit(Duration.ofSeconds(30))) {
            director.kill9();
        }
        director.start();
        ChaosSoak.await("restarted director ready", Duration.ofSeconds(180), director::ready);
        long millis = (System.nanoTime() - sent) / 1_000_000;
        ChaosSoak.log("director back after %d ms", millis);
        return millis;
    }

    /** Stream gauges and heaps of every process, and the clients' stream channels, now. */
    Map<String, Object> idleLevels(List<SwapClient> clients) {
        Map<String, Object> levels = new LinkedHashMap<>();
        levels.put("clients_streams", clients.stream().mapToInt(SwapClient::openStreams).sum());
        for (ChildProcess process : processes()) {
            Map<String, Object> level = new LinkedHashMap<>();
            PrometheusText metrics = text(process.metrics());
            level.put("streams", metrics == null ? null : (int) metrics.sum(ChaosSoak.QUIC_STREAMS_OPEN));
            String out = process.jcmd(Duration.ofSeconds(60), "GC.class_histogram");
            ClassHistogram histogram = out == null ? null : ClassHistogram.parse(out);
            level.put("stream_channels", histogram == null ? null : histogram.instances(STREAM_CHANNEL));
            level.put("live_heap_mib", histogram == null ? null : Stats.round1(histogram.liveBytes() / 1048576.0));
            levels.put(process.name(), level);
        }
        return levels;
    }

    /** Waits until every gauge is back at its level {@code before}, then takes the levels. */
    @SuppressWarnings("unchecked")
    Map<String, Object> awaitIdleLevels(List<SwapClient> clients, Map<String, Object> before, Duration timeout)
            throws InterruptedException {
        try {
            ChaosSoak.await("stream gauges back at their idle level", timeout, () -> {
                if (clients.stream().mapToInt(SwapClient::openStreams).sum() != (int) before.get("clients_streams")) {
                    return false;
                }
                for (ChildProcess process : processes()) {
                    PrometheusText metrics = text(process.metrics());
                    Object idle = ((Map<String, Object>) before.get(process.name())).get("streams");
                    if (metrics == null || idle == null || (int) metrics.sum(ChaosSoak.QUIC_STREAMS_OPEN) != (int) idle) {
                        return false;
                    }
                }
                return true;
            });
        } catch (IllegalStateException e) {
            ChaosSoak.log("%s", e.getMessage()); // the check below names what is off
        }
        // A finished stream waits up to its 10 s linger for the peer's FIN, and a connection whose CONNECTION_CLOSE
        // was lost (a partition) keeps its streams until its 10 s idle timeout: wait for the channels too, with a
        // deadline well past both, and record how long they took. Past the deadline the check below fails.
        long start = System.nanoTime();
        AtomicReference<Map<String, Object>> levels = new AtomicReference<>();
        try {
            ChaosSoak.await("stream channels back at their gauges", STREAM_CHANNELS_DEADLINE, () -> {
                levels.set(idleLevels(clients));
                return channelsWithinGauges(levels.get());
            });
        } catch (IllegalStateException e) {
            ChaosSoak.log("%s", e.getMessage());
        }
        Map<String, Object> after = levels.get();
        after.put("stream_channels_settled_ms", (System.nanoTime() - start) / 1_000_000);
        return after;
    }

    @SuppressWarnings("unchecked")
    private boolean channelsWithinGauges(Map<String, Object> levels) {
        for (ChildProcess process : processes()) {
            Map<String, Object> level = (Map<String, Object>) levels.get(process.name());
            if (!channelsWithinGauge(level)) {
                return false;
            }
        }
        return true;
    }

    private static boolean channelsWithinGauge(Map<String, Object> level) {
        return level.get("stream_channels") != null && level.get("streams") != null
                && (long) level.get("stream_channels") <= (int) level.get("streams");
    }

    /** The checks of "back to baseline", one per process. */
    @SuppressWarnings("unchecked")
    void checkBackToBaseline(Map<String, Object> before, Map<String, Object> after, BiConsumer<Boolean, String> check) {
        check.accept(after.get("clients_streams").equals(before.get("clients_streams")),
                "clients' stream channels " + before.get("clients_streams") + " -> " + after.get("clients_streams"));
        for (ChildProcess process : processes()) {
            Map<String, Object> was = (Map<String, Object>) before.get(process.name());
            Map<String, Object> now = (Map<String, Object>) after.get(process.name());
            check.accept(now.get("streams") != null && now.get("streams").equals(was.get("streams")),
                    process.name() + " connection_swap_quic_streams_open " + was.get("streams") + " -> " + now.get("streams"));
            check.accept(channelsWithinGauge(now),
                    process.name() + " live QuicheQuicStreamChannel objects " + now.get("stream_channels")
                            + " (gauge " + now.get("streams") + ")");
            check.accept(now.get("live_heap_mib") != null && was.get("live_heap_mib") != null
                            && ((Number) now.get("live_heap_mib")).doubleValue()
                            <= ((Number) was.get("live_heap_mib")).doubleValue() + HEAP_SLACK_MIB,
                    process.name() + " live heap " + was.get("live_heap_mib") + " -> " + now.get("live_heap_mib")
                            + " MiB (at most +" + HEAP_SLACK_MIB + ")");
        }
    }

    private List<ChildProcess> processes() {
        List<ChildProcess> all = new ArrayList<>();
        all.add(director);
        workers.forEach(worker -> all.add(worker.process));
        return all;
    }

    /** The service jar: soak.sh's private copy (-Dbench.jars), so a build in the tree cannot replace it mid-run. */
    private Path jar(String service) {
        String copies = System.getProperty("bench.jars");
        if (copies != null && Files.isRegularFile(Path.of(copies, service + ".jar"))) {
            return Path.of(copies, service + ".jar");
        }
        return root.resolve(service + "/target/" + service + ".jar");
    }

    /** From the shutdown hook: no iptables rule and no child survives the soak. */
    void emergencyCleanup() {
        Partitions.removeAll();
        ChildProcess.ALL.forEach(ChildProcess::killNow);
    }

    @Override
    public void close() {
        Partitions.removeAll();
        for (ChildProcess process : new ArrayList<>(ChildProcess.ALL)) {
            process.stop(Duration.ofSeconds(20));
        }
    }

    private static PrometheusText text(Metrics metrics) {
        return metrics == null ? null : metrics.text();
    }
}
