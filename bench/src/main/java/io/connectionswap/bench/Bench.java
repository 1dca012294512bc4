package io.connectionswap.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bench/run.sh}: starts the director from its jar as a separate process on loopback, workers in this JVM
 * (timestamped tokens, health the bench can turn DOWN) and as separate processes, and a bench client in this JVM;
 * then runs the phases, each in its own class: relay overhead ({@link RelayPhase}), health swaps and the reconnect
 * baseline ({@link BaselinePhase}), worker-process swaps ({@link ProcessSwapPhase}), scale ({@link ScalePhase}), the
 * gateway's figures ({@link GatewayPhase}) and the comparison with HAProxy ({@link PeerPhase}); prints a table and
 * writes {@code bench/out/summary.json}. Every wait has a deadline, and every child process is killed on exit,
 * Ctrl-C included.
 */
public final class Bench {

    private interface PhaseBody {
        void run() throws Exception;
    }

    private final BenchConfig cfg;
    private final Path root;
    private final Cluster cluster;
    private final Results results = new Results();
    private final Map<String, Object> phaseSeconds = new LinkedHashMap<>();

    private Bench(BenchConfig cfg) {
        this.cfg = cfg;
        this.root = Paths.repositoryRoot();
        this.cluster = new Cluster(cfg, root);
    }

    public static void main(String[] args) throws Exception {
        BenchConfig cfg = BenchConfig.parse(args);
        Bench bench = new Bench(cfg);
        Runtime.getRuntime().addShutdownHook(new Thread(bench::emergencyCleanup, "bench-cleanup"));
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(cfg.deadline().toMillis());
                System.err.printf("[bench] hard deadline of %s passed; stopping everything%n", cfg.deadline());
                System.exit(3);
            } catch (InterruptedException e) {
                // finished in time
            }
        }, "bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int status = bench.run();
        watchdog.interrupt();
        System.exit(status);
    }

    private int run() throws Exception {
        Path logs = cluster.logs();
        Files.createDirectories(logs);
        try (var old = Files.list(logs)) {
            for (Path file : old.toList()) {
                Files.deleteIfExists(file);
            }
        }
        try (var old = Files.list(cfg.out())) {
            for (Path file : old.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".jfr") || name.endsWith("-hotspots.txt")) {
                    Files.deleteIfExists(file);
                }
            }
        }
        Path pids = cfg.out().resolve("children.pids");
        Files.deleteIfExists(pids);
        ChildProcess.pidFile(pids);
        Map<String, Object> machine = MachineInfo.collect(root);
        results.put("machine", machine);
        results.put("settings", settings());
        Console.say("mode=%s token.interval=%dms pacing=%s phases=%s out=%s", cfg.quick() ? "quick" : "full",
                cfg.tokenInterval().toMillis(), cfg.pacing().name().toLowerCase(java.util.Locale.ROOT), cfg.phases(),
                cfg.out());
        long start = System.nanoTime();
        try {
            cluster.start();
            loseWorkerDatagrams();
            phase("relay", () -> new RelayPhase(cluster, results).run());
            phase("health", () -> new BaselinePhase(cluster, results).run());
            phase("process", () -> new ProcessSwapPhase(cluster, results).run());
            phase("scale", () -> new ScalePhase(cluster, results).run());
            phase("gateway", () -> new GatewayPhase(cluster, results).run());
            phase("peer", () -> new PeerPhase(cluster, results).run());
        } catch (Exception e) {
            results.error("setup: " + e);
            Console.say("FAILED: %s", e);
            e.printStackTrace(System.out);
        } finally {
            machine.put("loadavg_end", MachineInfo.loadAverage());
            results.put("phase_seconds", phaseSeconds);
            results.put("checks", EndChecks.collect(cluster));
            results.summary(); // places "errors" here
            results.put("elapsed_seconds", Stats.round1((System.nanoTime() - start) / 1e9));
            results.write(cfg.out().resolve("summary.json"));
            Console.say("stopping");
            removeLoss();
            cluster.shutdown();
        }
        Report.print(results.summary(), cfg.out().resolve("summary.json"));
        return results.hasErrors() ? 1 : 0;
    }

    /** {@code --worker-loss}: iptables drops that share of what each in-JVM worker sends, from now to the end. */
    private void loseWorkerDatagrams() {
        if (cfg.workerLoss() <= 0) {
            return;
        }
        if (!Partitions.available()) {
            throw new IllegalStateException("--worker-loss needs iptables (run the bench as root)");
        }
        Partitions.removeLoss(); // left by a bench killed with -9 outside run.sh
        for (InJvmWorker worker : cluster.inJvm()) {
            Partitions.lose(worker.quicPort(), cfg.workerLoss());
        }
        Console.say("iptables drops %.2f%% of the datagrams the in-JVM workers send (udp source ports %s)",
                cfg.workerLoss() * 100, cluster.inJvm().stream().map(InJvmWorker::quicPort).toList());
    }

    private void removeLoss() {
        if (cfg.workerLoss() > 0) {
            Console.say("removed %d iptables loss rules", Partitions.removeLoss());
        }
    }

    private void phase(String name, PhaseBody body) {
        if (!cfg.phases().contains(name)) {
            return;
        }
        long start = System.nanoTime();
        Console.say("== phase %s", name);
        try {
            if (!cluster.directorAlive()) {
                throw new IllegalStateException("the director process is not running"
                        + (cluster.director() != null ? " (see " + cluster.director().log() + ")" : ""));
            }
            body.run();
        } catch (Exception e) {
            results.error(name + ": " + e);
            Console.say("phase %s FAILED: %s", name, e);
            e.printStackTrace(System.out);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        phaseSeconds.put(name, Stats.round1(seconds));
        Console.say("== phase %s done in %.0f s", name, seconds);
    }

    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("mode", cfg.quick() ? "quick" : "full");
        s.put("token_interval_ms", cfg.tokenInterval().toMillis());
        s.put("pacing", cfg.pacing().name().toLowerCase(java.util.Locale.ROOT)
                + (cfg.pacing() == io.connectionswap.worker.model.Pacing.LOCKSTEP
                ? " (the in-JVM workers emit a token for all their streams at once, every interval)"
                : " (each stream on its own clock)"));
        s.put("director_health_interval_ms", BaselinePhase.DIRECTOR_HEALTH_INTERVAL.toMillis());
        s.put("director_stall_factor", 3);
        s.put("director_link_heartbeat_ms", 100);
        s.put("director_settings", cfg.directorEnv().isEmpty()
                ? "all defaults (only CONNECTION_SWAP_DIRECTOR_ADDR, SERVER_PORT and CONNECTION_SWAP_CERTS_DIR set)"
                : "defaults but " + cfg.directorEnv() + " (--director-env)");
        s.put("director_jvm", String.join(" ", cfg.directorJvm()));
        s.put("worker_process_jvm", String.join(" ", cfg.workerJvm()));
        s.put("bench_jvm", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        s.put("relay_streams", cfg.relayStreams());
        s.put("worker_loss", cfg.workerLoss() > 0 ? cfg.workerLoss()
                + " (iptables drops this share of the datagrams the in-JVM workers send, from after start-up)" : 0);
        s.put("client_token_stream", cfg.clientTokenStream()
                ? "on (generations through the director ask for their frames on the connection's control stream)"
                : "off (each generation's frames on its own stream)");
        s.put("swap_rounds", cfg.swapRounds());
        s.put("scale_levels", cfg.scaleLevels() + " then up " + cfg.scaleUp() + " while held, or "
                + cfg.scaleBisections() + " bisection steps below the first level not held");
        s.put("scale_streams_per_connection", cfg.streamsPerConnection());
        s.put("scale_ramp_streams_per_second", cfg.rampPerSecond());
        s.put("scale_window_seconds", cfg.scaleWindow().toSeconds());
        s.put("profile", cfg.profile());
        s.put("bench_client_so_rcvbuf", cfg.clientRcvbuf() > 0 ? cfg.clientRcvbuf() : "OS default");
        s.put("gateway_streams", cfg.gatewayLevels());
        Map<String, Object> gatewayTokens = new LinkedHashMap<>();
        cfg.gatewayLevels().forEach(streams -> gatewayTokens.put("streams_" + streams, cfg.gatewayTokens(streams)));
        s.put("gateway_tokens_per_request", gatewayTokens);
        s.put("gateway_segment_seconds", cfg.gatewaySegment().toSeconds());
        s.put("peer_streams", cfg.peerLevels());
        s.put("peer_tokens_per_request", cfg.peerTokens());
        s.put("peer_upstream_gap_ms", cfg.peerGap().toMillis());
        s.put("peer_window_seconds", cfg.peerWindow().toSeconds());
        s.put("peer_kill_rounds", cfg.peerRounds());
        return s;
    }

    /** Shutdown hook: on Ctrl-C or any exit, no child process outlives the bench. */
    private void emergencyCleanup() {
        ChildProcess.shuttingDown();
        for (ChildProcess child : ChildProcess.ALL) {
            child.killNow();
        }
        cluster.closeInJvmWorkersNow();
        if (cfg.workerLoss() > 0) {
            Partitions.removeLoss();
        }
    }
}
