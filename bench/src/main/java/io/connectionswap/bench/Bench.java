package io.connectionswap.bench;

import io.connectionswap.bench.GenStream.Target;
import io.connectionswap.bench.QuicClients.Conn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bench/run.sh}: starts the director from its jar as a separate process on loopback, workers in this JVM
 * (timestamped tokens, health the bench can turn DOWN) and as separate processes (to SIGTERM, kill -9 and
 * SIGSTOP), and a bench client in this JVM; measures relay overhead, swap gap by cause, the reconnect baseline
 * and scale; prints a table and writes {@code bench/out/summary.json}. Every wait has a deadline, and every child
 * process is killed on exit, Ctrl-C included.
 */
public final class Bench {

    private static final Duration HEALTHY_DEADLINE = Duration.ofSeconds(180);
    private static final Duration DIRECTOR_HEALTH_INTERVAL = Duration.ofMillis(500); // the default we run with

    private final Config cfg;
    private final Path root;
    private final Path certs;
    private final Path logs;
    private final long startNanos = System.nanoTime();
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    private final List<InJvmWorker> inJvm = new ArrayList<>();
    private final List<WorkerProc> procs = new ArrayList<>();
    private ChildProcess director;
    private int directorPort;
    private QuicClients clients;
    private Conn directorConn;
    private long unnoticedResets;
    private long unnoticedWorkerResets;

    private Bench(Config cfg) {
        this.cfg = cfg;
        this.root = repositoryRoot();
        this.certs = root.resolve("certs");
        this.logs = cfg.out().resolve("logs");
    }

    public static void main(String[] args) throws Exception {
        Config cfg = Config.parse(args);
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

    // ------------------------------------------------------------------------------------------------ run

    private int run() throws Exception {
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
        summary.put("machine", MachineInfo.collect(root));
        summary.put("settings", settings());
        say("mode=%s token.interval=%dms phases=%s out=%s", cfg.quick() ? "quick" : "full", cfg.tokenInterval().toMillis(),
                cfg.phases(), cfg.out());
        try {
            startDirector();
            clients = new QuicClients(certs, 2, cfg.clientRcvbuf());
            startInJvmWorkers();
            directorConn = clients.director(directorPort, true);
            phase("relay", this::relay);
            phase("health", this::healthAndBaseline);
            phase("process", this::processSwaps);
            phase("scale", this::scale);
        } catch (Exception e) {
            errors.add("setup: " + e);
            say("FAILED: %s", e);
            e.printStackTrace(System.out);
        } finally {
            ((Map<String, Object>) summary.get("machine")).put("loadavg_end", MachineInfo.loadAverage());
            Map<String, Object> checks = new LinkedHashMap<>();
            retainedStreamChannels(checks);
            checks.put("director_sessions_left_after_client_reset", unnoticedResets);
            checks.put("worker_streams_left_after_direct_client_reset", unnoticedWorkerResets);
            summary.put("checks", checks);
            summary.put("errors", errors);
            summary.put("elapsed_seconds", Stats.round1((System.nanoTime() - startNanos) / 1e9));
            writeSummary();
            shutdown();
        }
        Report.print(summary, cfg.out().resolve("summary.json"));
        return errors.isEmpty() ? 0 : 1;
    }

    private interface PhaseBody {
        void run() throws Exception;
    }

    private void phase(String name, PhaseBody body) {
        if (!cfg.phases().contains(name)) {
            return;
        }
        long start = System.nanoTime();
        say("== phase %s", name);
        try {
            if (director == null || !director.alive()) {
                throw new IllegalStateException("the director process is not running"
                        + (director != null ? " (see " + director.log() + ")" : ""));
            }
            body.run();
        } catch (Exception e) {
            errors.add(name + ": " + e);
            say("phase %s FAILED: %s", name, e);
            e.printStackTrace(System.out);
        }
        say("== phase %s done in %.0f s", name, (System.nanoTime() - start) / 1e9);
    }

    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("mode", cfg.quick() ? "quick" : "full");
        s.put("token_interval_ms", cfg.tokenInterval().toMillis());
        s.put("director_health_interval_ms", DIRECTOR_HEALTH_INTERVAL.toMillis());
        s.put("director_stall_factor", 3);
        s.put("director_link_heartbeat_ms", 100);
        s.put("director_settings", "all defaults (only CONNECTION_SWAP_DIRECTOR_ADDR, SERVER_PORT and CONNECTION_SWAP_CERTS_DIR set)");
        s.put("director_jvm", String.join(" ", cfg.directorJvm()));
        s.put("worker_process_jvm", String.join(" ", cfg.workerJvm()));
        s.put("bench_jvm", String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        s.put("relay_streams", cfg.relayStreams());
        s.put("swap_rounds", cfg.swapRounds());
        s.put("scale_levels", cfg.scaleLevels() + " then up " + cfg.scaleUp() + " while held, or "
                + cfg.scaleBisections() + " bisection steps below the first level not held");
        s.put("scale_streams_per_connection", cfg.streamsPerConnection());
        s.put("scale_ramp_streams_per_second", cfg.rampPerSecond());
        s.put("scale_window_seconds", cfg.scaleWindow().toSeconds());
        s.put("profile", cfg.profile());
        s.put("bench_client_so_rcvbuf", cfg.clientRcvbuf() > 0 ? cfg.clientRcvbuf() : "OS default");
        return s;
    }

    // ------------------------------------------------------------------------------------------------ processes

    private void startDirector() {
        directorPort = Ports.freeUdp();
        int http = Ports.freeTcp();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTION_SWAP_DIRECTOR_ADDR", "127.0.0.1:" + directorPort);
        env.put("CONNECTION_SWAP_CERTS_DIR", certs.toString());
        director = new ChildProcess("director", jar("director-service"),
                cfg.directorJvm(), env, http, logs.resolve("director.log")).start();
        say("director pid=%d quic=127.0.0.1:%d http=%d", director.pid(), directorPort, http);
    }

    private void startInJvmWorkers() {
        // the director's QUIC port may not be bound yet: workers retry registering until it is
        for (int i = 1; i <= 3; i++) {
            inJvm.add(InJvmWorker.start("jvm-" + i, directorPort, certs, cfg.tokenInterval().toMillis() + "ms",
                    logs.resolve("bench-jvm.log")));
        }
        await("director ready", HEALTHY_DEADLINE, director::ready);
        awaitHealthy(inJvm.size());
        say("director and %d in-JVM workers up after %.1f s", inJvm.size(), elapsed());
    }

    /** A worker running from worker-service.jar; keeps its ports across restarts. */
    private final class WorkerProc {
        final String label;
        int udp = Ports.freeUdp();
        int http = Ports.freeTcp();
        ChildProcess process;

        WorkerProc(String label) {
            this.label = label;
        }

        void start() {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("CONNECTION_SWAP_WORKER_ADDR", "127.0.0.1:" + udp);
            env.put("CONNECTION_SWAP_WORKER_LABEL", label);
            env.put("CONNECTION_SWAP_DIRECTOR_TARGET", "127.0.0.1:" + directorPort);
            env.put("CONNECTION_SWAP_TOKEN_INTERVAL", cfg.tokenInterval().toMillis() + "ms");
            env.put("CONNECTION_SWAP_CERTS_DIR", certs.toString());
            env.put("LOGGING_LEVEL_IO_CONNECTIONSWAP_WORKER_TOKENS", "WARN");
            process = new ChildProcess(label, jar("worker-service"), cfg.workerJvm(),
                    env, http, logs.resolve(label + ".log")).start();
        }

        /** Starts it (again); if it dies at once (a port taken meanwhile), once more on fresh ports. */
        void startAndAwaitReady() {
            start();
            if (!poll(Duration.ofSeconds(120), () -> process.ready() || !process.alive())) {
                throw new IllegalStateException(label + " not ready after 120 s; log tail:\n" + process.logTail(20));
            }
            if (!process.alive()) {
                say("%s exited at start (port taken?); retrying on new ports", label);
                udp = Ports.freeUdp();
                http = Ports.freeTcp();
                start();
                await(label + " ready", Duration.ofSeconds(120), process::ready);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ relay

    /**
     * Per-token latency (worker emit to client receive, one clock) through the director versus the same in-JVM
     * workers dialled directly, in alternating segments so that machine noise hits both paths alike.
     */
    private void relay() throws Exception {
        List<Conn> direct = new ArrayList<>();
        for (InJvmWorker worker : inJvm) {
            direct.add(clients.worker(worker.quicPort()));
        }
        try {
            say("relay: warm-up %s per path", cfg.relayWarmup());
            relaySegment(Target.DIRECTOR, direct, cfg.relayWarmup());
            relaySegment(Target.WORKER, direct, cfg.relayWarmup());
            Histogram viaDirector = new Histogram(3);
            Histogram viaWorker = new Histogram(3);
            long problems = 0;
            long self = ProcessHandle.current().pid();
            long directorDrops0 = ProcStat.udpDrops(director.pid());
            long benchDrops0 = ProcStat.udpDrops(self);
            Prometheus before = director.metrics();
            double swapTotal0 = before == null ? 0 : before.sum("connection_swap_swaps_total");
            for (int pair = 0; pair < cfg.relayPairs(); pair++) {
                boolean directorFirst = pair % 2 == 1;
                for (int leg = 0; leg < 2; leg++) {
                    Target target = (leg == 0) == directorFirst ? Target.DIRECTOR : Target.WORKER;
                    SegmentResult result = relaySegment(target, direct, cfg.relaySegment());
                    (target == Target.DIRECTOR ? viaDirector : viaWorker).add(result.latencies());
                    problems += result.problems();
                    say("relay: %-8s segment %d: p50 %.0f us, p99 %.0f us (%d tokens)", target == Target.DIRECTOR
                                    ? "director" : "direct", pair + 1, result.latencies().getValueAtPercentile(50) / 1e3,
                            result.latencies().getValueAtPercentile(99) / 1e3, result.latencies().getTotalCount());
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            Map<String, Object> d = Stats.summary(viaWorker, 1e3);
            Map<String, Object> r = Stats.summary(viaDirector, 1e3);
            out.put("direct_p50_us", d.get("p50"));
            out.put("director_p50_us", r.get("p50"));
            out.put("overhead_p50_us", Stats.round1(Stats.num(r, "p50") - Stats.num(d, "p50")));
            out.put("direct_p99_us", d.get("p99"));
            out.put("director_p99_us", r.get("p99"));
            out.put("overhead_p99_us", Stats.round1(Stats.num(r, "p99") - Stats.num(d, "p99")));
            out.put("direct_us", d);
            out.put("director_us", r);
            out.put("streams", cfg.relayStreams());
            out.put("segments_per_path", cfg.relayPairs());
            out.put("segment_seconds", cfg.relaySegment().toSeconds());
            out.put("problems", problems);
            Prometheus after = director.metrics();
            out.put("director_swaps_during_relay", after == null ? null : (long) (after.sum("connection_swap_swaps_total") - swapTotal0));
            out.put("udp_drops_director", ProcStat.udpDrops(director.pid()) - directorDrops0);
            out.put("udp_drops_bench_jvm", ProcStat.udpDrops(self) - benchDrops0);
            out.put("method", "worker emit (System.nanoTime() in the token text, in-JVM worker) to bench-client receive "
                    + "(same JVM, same clock); direct = bench client dials the same in-JVM workers with the director's "
                    + "certificate and sends the ASSIGNMENT; alternating segments, warm-up discarded");
            summary.put("relay", out);
        } finally {
            direct.forEach(Conn::close);
        }
    }

    private record SegmentResult(Histogram latencies, long problems) {
    }

    private SegmentResult relaySegment(Target target, List<Conn> direct, Duration length) {
        StreamSink sink = new StreamSink(true);
        sink.recording = false;
        List<GenStream> gens = new ArrayList<>();
        for (int i = 0; i < cfg.relayStreams(); i++) {
            Conn conn = target == Target.DIRECTOR ? directorConn : direct.get(i % direct.size());
            GenStream gen = new GenStream(i, target, conn, sink, clients, directorPort);
            gens.add(gen);
            gen.open();
        }
        try {
            await("relay streams flowing", Duration.ofSeconds(30), () -> gens.stream().allMatch(g -> g.tokensReceived >= 3));
            sink.takeLatencies();
            sink.recording = true;
            sleep(length);
            sink.recording = false;
            return new SegmentResult(sink.takeLatencies(), sink.problems());
        } finally {
            gens.forEach(GenStream::cancel);
            if (target == Target.WORKER && !poll(Duration.ofSeconds(3),
                    () -> inJvm.stream().mapToInt(InJvmWorker::activeStreams).sum() == 0)) {
                long left = inJvm.stream().mapToInt(InJvmWorker::activeStreams).sum();
                unnoticedWorkerResets += left;
                say("relay: %d worker streams still served 3 s after the client reset them", left);
            }
            settleDirector();
        }
    }

    // ------------------------------------------------------------------------------------------------ health + baseline

    /**
     * Health DOWN swaps (the in-JVM worker serving streams turns its model not-ready: Actuator health DOWN, seen
     * by the director's poll) and, on alternate rounds, the reconnect baseline: the client answers the RETRY with a
     * new QUIC connection (handshake) and a resume request instead of a new stream on its connection.
     */
    private void healthAndBaseline() throws Exception {
        List<SwapSample> sameSamples = new ArrayList<>();
        List<SwapSample> freshSamples = new ArrayList<>();
        List<Double> detectSame = new ArrayList<>();
        List<Double> detectFresh = new ArrayList<>();
        Map<String, Integer> reasons = new LinkedHashMap<>();
        int skipped = 0;
        long problems = 0;
        long spurious = 0;
        double[] director0 = directorSwapGap();
        int rounds = cfg.swapRounds() * 2;
        for (int round = 0; round < rounds; round++) {
            boolean sameConnection = round % 2 == 0;
            InJvmWorker victim = inJvm.get((round / 2) % inJvm.size());
            awaitHealthy(inJvm.size());
            RoundResult result = swapRound("health", 2 * inJvm.size(), victim.label(), sameConnection,
                    () -> {
                        victim.model().ready(false);
                        return System.nanoTime();
                    }, DIRECTOR_HEALTH_INTERVAL);
            victim.model().ready(true);
            problems += result.problems();
            spurious += result.spurious();
            if (result.samples().isEmpty()) {
                skipped++;
                continue;
            }
            for (SwapSample sample : result.samples()) {
                reasons.merge(sample.reason(), 1, Integer::sum);
                (sameConnection ? sameSamples : freshSamples).add(sample);
                (sameConnection ? detectSame : detectFresh).add((sample.retryNanos() - result.triggerNanos()) / 1e6);
            }
            say("health round %d/%d (%s): %s", round + 1, rounds, sameConnection ? "same connection" : "new connection",
                    describe(result.samples()));
        }
        double[] director1 = directorSwapGap();
        Map<String, Object> health = causeSummary(sameSamples, detectSame, reasons, cfg.swapRounds(), skipped, problems,
                spurious, director0, director1);
        health.put("fault", "in-JVM worker's TokenModel.isReady() false -> Actuator health DOWN (503); found by the "
                + "director's next health poll (interval 500 ms); rounds alternate with the reconnect baseline");
        swapCauses().put("health", health);
        swapSummary().put("health_gap_p99_ms", ((Map<?, ?>) health.get("gap_ms")).get("p99"));
        swapSummary().put("health_gap_p50_ms", ((Map<?, ?>) health.get("gap_ms")).get("p50"));

        Map<String, Object> baseline = new LinkedHashMap<>();
        Map<String, Object> swapRecovery = Stats.summary(sameSamples.stream().map(s -> s.recoveryNanos() / 1e6).toList());
        Map<String, Object> reconnectRecovery = Stats.summary(freshSamples.stream().map(s -> s.recoveryNanos() / 1e6).toList());
        baseline.put("swap_gap_p50_ms", swapRecovery.get("p50"));
        baseline.put("reconnect_gap_p50_ms", reconnectRecovery.get("p50"));
        baseline.put("ratio", Stats.round3(Stats.num(swapRecovery, "p50") / Stats.num(reconnectRecovery, "p50")));
        baseline.put("swap_gap_ms", swapRecovery);
        baseline.put("reconnect_gap_ms", reconnectRecovery);
        baseline.put("swap_full_gap_ms", Stats.summary(extraGaps(sameSamples)));
        baseline.put("reconnect_full_gap_ms", Stats.summary(extraGaps(freshSamples)));
        baseline.put("reconnect_detect_ms", Stats.summary(detectFresh));
        baseline.put("method", "same health-DOWN swaps, alternate rounds; gap = RETRY received -> first token after, "
                + "client clock. swap: new stream on the existing connection + resume request; reconnect: new QUIC "
                + "connection (TLS 1.3 handshake) to the director + resume request. full_gap = last token before -> "
                + "first token after minus one token interval (includes detection)");
        summary.put("baseline", baseline);
    }

    // ------------------------------------------------------------------------------------------------ process swaps

    /** Drain (SIGTERM), crash (kill -9) and hang (SIGSTOP, later SIGCONT) of worker processes. */
    private void processSwaps() throws Exception {
        for (InJvmWorker worker : inJvm) {
            worker.model().ready(false); // out of rotation: every stream goes to the worker processes
        }
        try {
            await("in-JVM workers out of rotation", Duration.ofSeconds(20), () -> directorHealthy() == 0);
            procs.add(new WorkerProc("proc-a"));
            procs.add(new WorkerProc("proc-b"));
            procs.forEach(WorkerProc::start);
            for (WorkerProc proc : procs) {
                await(proc.label + " ready", Duration.ofSeconds(120), proc.process::ready);
            }
            awaitHealthy(procs.size());
            say("worker processes up after %.1f s", elapsed());
            for (String cause : List.of("drain", "kill", "hang")) {
                processCause(cause);
            }
        } finally {
            for (WorkerProc proc : procs) {
                if (proc.process != null) {
                    proc.process.stop(Duration.ofSeconds(30));
                }
            }
            procs.clear();
            for (InJvmWorker worker : inJvm) {
                worker.model().ready(true);
            }
        }
    }

    private void processCause(String cause) throws Exception {
        List<SwapSample> samples = new ArrayList<>();
        List<Double> detect = new ArrayList<>();
        Map<String, Integer> reasons = new LinkedHashMap<>();
        int skipped = 0;
        long problems = 0;
        long spurious = 0;
        double[] director0 = directorSwapGap();
        for (int round = 0; round < cfg.swapRounds(); round++) {
            WorkerProc victim = procs.get(round % procs.size());
            awaitHealthy(procs.size());
            LongSupplier fault = switch (cause) {
                case "drain" -> victim.process::sigterm;
                case "kill" -> victim.process::kill9;
                default -> victim.process::freeze;
            };
            RoundResult result;
            try {
                result = swapRound(cause, 2 * procs.size(), victim.label, true, fault, cfg.tokenInterval());
            } finally {
                if (victim.process.frozen()) {
                    victim.process.resume();
                }
            }
            problems += result.problems();
            spurious += result.spurious();
            if (result.samples().isEmpty()) {
                skipped++;
            }
            for (SwapSample sample : result.samples()) {
                reasons.merge(sample.reason(), 1, Integer::sum);
                samples.add(sample);
                detect.add((sample.retryNanos() - result.triggerNanos()) / 1e6);
            }
            say("%s round %d/%d (%s): %s", cause, round + 1, cfg.swapRounds(), victim.label, describe(result.samples()));
            if (cause.equals("drain")) {
                if (!victim.process.waitForExit(Duration.ofSeconds(40))) {
                    errors.add("drain: " + victim.label + " did not exit within 40 s of SIGTERM");
                    victim.process.kill9();
                }
            }
            if (!victim.process.alive()) {
                victim.startAndAwaitReady();
            }
        }
        double[] director1 = directorSwapGap();
        Map<String, Object> out = causeSummary(samples, detect, reasons, cfg.swapRounds(), skipped, problems, spurious,
                director0, director1);
        out.put("fault", switch (cause) {
            case "drain" -> "SIGTERM to the worker process serving the streams (it drains: tells the director, which moves its streams)";
            case "kill" -> "kill -9 of the worker process serving the streams (found by the director's link heartbeat, 100 ms, and ICMP port unreachable)";
            default -> "SIGSTOP of the worker process serving the streams (found as a stall: 3 token intervals without a frame); SIGCONT after the swap";
        });
        swapCauses().put(cause, out);
        Object gaps = out.get("gap_ms");
        swapSummary().put(cause + "_gap_p99_ms", ((Map<?, ?>) gaps).get("p99"));
        swapSummary().put(cause + "_gap_p50_ms", ((Map<?, ?>) gaps).get("p50"));
    }

    private record RoundResult(List<SwapSample> samples, long triggerNanos, long problems, long spurious) {
    }

    /**
     * One swap round: fresh generations spread over the healthy workers by the director, the fault applied to
     * {@code victim} at a random moment (the fault returns when it is in place), and every generation that was on
     * the victim then followed until its first token from the next worker. Swaps not caused by the fault (before
     * it, off another worker, or for a reason the fault cannot cause: e.g. a stall while a DOWN worker still
     * streams, which a loaded machine produces) are counted as spurious and left out.
     */
    private RoundResult swapRound(String cause, int streams, String victim, boolean sameConnection, LongSupplier fault,
                                  Duration jitter) {
        StreamSink sink = new StreamSink(false);
        List<GenStream> gens = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            GenStream gen = new GenStream(i, Target.DIRECTOR, directorConn, sink, clients, directorPort);
            gen.resumeOnSameConnection(sameConnection);
            gens.add(gen);
            gen.open();
        }
        Set<String> expected = switch (cause) {
            case "health" -> Set.of("health");
            case "drain" -> Set.of("drain");
            default -> null; // a crash or a hang may be found by any signal
        };
        try {
            await(cause + " round: streams flowing", Duration.ofSeconds(30),
                    () -> gens.stream().allMatch(g -> g.tokensReceived >= 5));
            sleep(Duration.ofNanos(ThreadLocalRandom.current().nextLong(Math.max(1, jitter.toNanos()))));
            List<GenStream> onVictim = gens.stream().filter(g -> victim.equals(g.worker)).toList();
            if (onVictim.isEmpty()) {
                say("%s round: no stream on %s at the moment of the fault; skipping", cause, victim);
                return new RoundResult(List.of(), 0, sink.problems(), sink.swaps.size());
            }
            long trigger = fault.getAsLong(); // the moment the fault is in place
            java.util.function.Predicate<SwapSample> moved = sample -> victim.equals(sample.failedWorker())
                    && sample.retryNanos() >= trigger;
            java.util.function.Predicate<SwapSample> caused = moved.and(
                    sample -> expected == null || expected.contains(sample.reason()));
            boolean done = poll(Duration.ofSeconds(20), () -> sink.swaps.stream().filter(moved).count() >= onVictim.size());
            List<SwapSample> samples = sink.swaps.stream().filter(caused).toList();
            if (!done) {
                errors.add(String.format(Locale.ROOT, "%s: %d of %d streams on %s resumed within 20 s of the fault",
                        cause, sink.swaps.stream().filter(moved).count(), onVictim.size(), victim));
            }
            long spurious = sink.swaps.stream().filter(caused.negate()).count();
            if (spurious > 0) {
                say("%s round: %d swaps not caused by the fault (not counted): %s", cause, spurious,
                        describe(sink.swaps.stream().filter(caused.negate()).toList()));
            }
            return new RoundResult(samples, trigger, sink.problems(), spurious);
        } finally {
            gens.forEach(GenStream::cancel);
            sink.closeExtraConnections();
            settleDirector();
        }
    }

    private Map<String, Object> causeSummary(List<SwapSample> samples, List<Double> detect, Map<String, Integer> reasons,
                                             int rounds, int skipped, long problems, long spurious, double[] director0,
                                             double[] director1) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("gap_ms", Stats.summary(extraGaps(samples)));
        out.put("detect_ms", Stats.summary(detect));
        out.put("recovery_ms", Stats.summary(samples.stream().map(s -> s.recoveryNanos() / 1e6).toList()));
        out.put("rounds", rounds);
        out.put("skipped_rounds", skipped);
        out.put("reasons", reasons);
        out.put("problems", problems);
        out.put("spurious_swaps", spurious);
        double count = director1[0] - director0[0];
        out.put("director_swap_gap_mean_ms", count > 0 ? Stats.round1((director1[1] - director0[1]) / count * 1000) : null);
        out.put("director_swap_gap_count", (long) count);
        return out;
    }

    private List<Double> extraGaps(List<SwapSample> samples) {
        long interval = cfg.tokenInterval().toNanos();
        return samples.stream().map(s -> s.extraGapNanos(interval) / 1e6).toList();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> swapSummary() {
        return (Map<String, Object>) summary.computeIfAbsent("swap", key -> {
            Map<String, Object> swap = new LinkedHashMap<>();
            swap.put("method", "bench client clock: gap = (first token after the swap - last token before) - one token "
                    + "interval (" + cfg.tokenInterval().toMillis() + " ms); detect = fault applied -> RETRY received; "
                    + "recovery = RETRY received -> first token after. Exact samples, nearest-rank percentiles "
                    + "(with few samples p99 is the maximum). Director defaults: health interval 500 ms, stall factor 3, "
                    + "link heartbeat 100 ms");
            swap.put("by_cause", new LinkedHashMap<String, Object>());
            return swap;
        });
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> swapCauses() {
        return (Map<String, Object>) swapSummary().get("by_cause");
    }

    private static String describe(List<SwapSample> samples) {
        if (samples.isEmpty()) {
            return "no swap";
        }
        StringBuilder text = new StringBuilder();
        for (SwapSample s : samples) {
            text.append(String.format(Locale.ROOT, "[%s -> %s %s recovery %.1f ms] ", s.failedWorker(), s.newWorker(),
                    s.reason(), s.recoveryNanos() / 1e6));
        }
        return text.toString().trim();
    }

    /** count and sum (seconds) of the director's connection_swap_gap_seconds. */
    private double[] directorSwapGap() {
        Prometheus metrics = director.metrics();
        if (metrics == null) {
            return new double[] {0, 0};
        }
        return new double[] {metrics.sum("connection_swap_gap_seconds_count"), metrics.sum("connection_swap_gap_seconds_sum")};
    }

    // ------------------------------------------------------------------------------------------------ scale

    /** Concurrent streams through one director at growing levels, until a level is not held. */
    private void scale() throws Exception {
        for (InJvmWorker worker : inJvm) {
            worker.model().ready(true);
        }
        awaitHealthy(inJvm.size());
        List<Map<String, Object>> levels = new ArrayList<>();
        Map<String, Object> out = new LinkedHashMap<>();
        summary.put("scale", out);
        out.put("levels", levels);
        scaleWarmUp();
        Heap base = heapAfterGc();
        Map<String, Object> held = null;
        // the required levels first, then up from the last one held, or a bisection below the first not held
        List<Integer> plan = new ArrayList<>(cfg.scaleLevels());
        int lowHeld = 0;
        int lowFailed = Integer.MAX_VALUE;
        int bisections = 0;
        while (!plan.isEmpty()) {
            int streams = plan.remove(0);
            if (streams > cfg.maxStreams() || streams <= lowHeld || streams >= lowFailed) {
                continue;
            }
            Map<String, Object> level = new LinkedHashMap<>();
            levels.add(level);
            awaitHealthy(inJvm.size());
            Heap after = scaleLevel(streams, base, level);
            base = after != null ? after : heapAfterGc();
            boolean pass = Boolean.TRUE.equals(level.get("held"));
            say("scale %5d streams: %s", streams, Report.levelLine(level));
            if (pass) {
                if (held == null || streams > (int) held.get("streams")) {
                    held = level;
                }
                lowHeld = Math.max(lowHeld, streams);
            } else {
                lowFailed = Math.min(lowFailed, streams);
            }
            if (plan.isEmpty()) {
                if (lowFailed == Integer.MAX_VALUE) {
                    cfg.scaleUp().stream().filter(n -> n > streams).findFirst().ifPresent(plan::add);
                } else if (bisections < cfg.scaleBisections() && lowFailed - lowHeld > 100) {
                    bisections++;
                    plan.add(Math.max(lowHeld + 50, (lowHeld + lowFailed) / 2 / 50 * 50));
                }
            }
        }
        Map<String, Object> best = held != null ? held : levels.isEmpty() ? Map.of() : levels.get(0);
        out.put("streams", held != null ? held.get("streams") : 0);
        out.put("tokens_per_second", best.get("tokens_per_second"));
        out.put("p50_token_latency_ms", best.get("p50_token_latency_ms"));
        out.put("p99_token_latency_ms", best.get("p99_token_latency_ms"));
        out.put("director_heap_bytes_per_stream", best.get("director_heap_bytes_per_stream"));
        Object byClass = best.get("director_heap_per_stream_by_class");
        out.put("director_heap_bytes_per_stream_by_class", byClass instanceof Map<?, ?> m ? m.get("bytes_per_stream") : null);
        out.put("director_rss_bytes_per_stream", best.get("director_rss_bytes_per_stream"));
        out.put("director_cpu_cores", best.get("director_cpu_cores"));
        out.put("bench_jvm_cpu_cores", best.get("bench_jvm_cpu_cores"));
        out.put("held_rule", "a level is held when the client receives >= 95% of the offered token rate "
                + "(streams / token interval), p99 token latency <= 1000 ms, every stream delivers tokens in the window, "
                + "no stream breaks and the director swaps no stream (no fault is injected: a swap here is a false "
                + "stall or health verdict under load); the search stops at the first level not held");
        out.put("heap_method", "jcmd <director pid> GC.run (a full GC), then the sum of the director's "
                + "jvm_memory_used_bytes{area=\"heap\"} from /actuator/prometheus; per stream = (heap with N streams "
                + "open - heap just before the level) / N, both after a forced full GC (a previous level's leftovers can "
                + "skew the 'before'; _released_on_close compares with the heap once the N streams closed instead); "
                + "director_heap_per_stream_by_class: jcmd GC.class_histogram with the streams open minus after they "
                + "closed, the exact live bytes by class (the cross-check); all include the client connections "
                + "(one per " + cfg.streamsPerConnection() + " streams). rss = /proc/<pid>/status VmRSS (native quiche "
                + "state and Netty's direct buffers are off-heap)");
        out.put("cpu_method", "utime+stime from /proc/<pid>/stat over the measurement window, in cores (1.0 = one "
                + "core busy); threads from /proc/<pid>/task/*/stat");
    }

    /** JIT warm-up of the relay path before the first measured level (not measured). */
    private void scaleWarmUp() throws Exception {
        StreamSink sink = new StreamSink(true);
        List<GenStream> gens = new ArrayList<>();
        Conn conn = clients.director(directorPort, true);
        for (int i = 0; i < 200; i++) {
            GenStream gen = new GenStream(i, Target.DIRECTOR, conn, sink, clients, directorPort);
            gens.add(gen);
            gen.open();
            sleep(Duration.ofNanos(1_000_000_000L / cfg.rampPerSecond()));
        }
        try {
            sleep(Duration.ofSeconds(Math.max(6, cfg.scaleSettle().multipliedBy(2).toSeconds())));
        } finally {
            gens.forEach(GenStream::cancel);
            sleep(Duration.ofSeconds(1));
            conn.close();
            awaitStreamsIdle(Duration.ofSeconds(30));
        }
        awaitHealthy(inJvm.size());
    }

    private Heap scaleLevel(int streams, Heap before, Map<String, Object> level) throws Exception {
        int connections = (streams + cfg.streamsPerConnection() - 1) / cfg.streamsPerConnection();
        level.put("streams", streams);
        level.put("connections", connections);
        double offered = streams * 1e9 / cfg.tokenInterval().toNanos();
        level.put("offered_tokens_per_second", Math.round(offered));
        StreamSink sink = new StreamSink(true);
        sink.recording = false;
        List<Conn> conns = new ArrayList<>();
        List<GenStream> gens = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Heap after = null;
        Heap heapAt = null;
        Map<String, long[]> histogramAt = Map.of();
        try {
            for (int i = 0; i < connections; i++) {
                conns.add(clients.director(directorPort, true));
            }
            // streams arrive at a steady rate (not in one burst), so their token phases spread over the interval
            long rampStart = System.nanoTime();
            long perStreamNanos = 1_000_000_000L / cfg.rampPerSecond();
            for (int i = 0; i < streams; i++) {
                GenStream gen = new GenStream(i, Target.DIRECTOR, conns.get(i % connections), sink, clients, directorPort);
                gens.add(gen);
                gen.open();
                long due = rampStart + (i + 1) * perStreamNanos;
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    sleep(Duration.ofNanos(wait));
                }
            }
            if (!poll(Duration.ofSeconds(15), () -> gens.stream().allMatch(g -> g.tokensReceived > 0))) {
                failures.add("ramp: " + gens.stream().filter(g -> g.tokensReceived == 0).count()
                        + " streams not flowing 15 s after the last was opened");
            }
            level.put("ramp_seconds", Stats.round1((System.nanoTime() - rampStart) / 1e9));
            if (failures.isEmpty()) {
                sleep(cfg.scaleSettle());
                measureWindow(streams, offered, sink, gens, conns, level, failures);
                Heap at = heapAfterGc();
                level.put("director_heap_before_bytes", before.heap());
                level.put("director_heap_bytes", at.heap());
                level.put("director_rss_bytes", at.rss());
                level.put("director_heap_bytes_per_stream", before.heap() > 0 && at.heap() > 0
                        ? Math.round((double) (at.heap() - before.heap()) / streams) : null);
                level.put("director_rss_bytes_per_stream", before.rss() > 0 && at.rss() > 0
                        ? Math.round((double) (at.rss() - before.rss()) / streams) : null);
                level.put("heap_method", at.method());
                histogramAt = classHistogram();
                heapAt = at;
            }
        } finally {
            gens.forEach(GenStream::cancel);
            sleep(Duration.ofSeconds(2));
            level.put("sessions_left_2s_after_client_reset", directorStreamsActive());
            conns.forEach(Conn::close);
            if (!awaitStreamsIdle(Duration.ofSeconds(60))) {
                failures.add("director still reports active streams 60 s after the level ended");
            }
            after = heapAfterGc();
            level.put("director_heap_after_close_bytes", after.heap());
            if (heapAt != null && heapAt.heap() > 0 && after.heap() > 0) {
                // heap with the N streams open minus heap once they are closed, both after a forced full GC
                level.put("director_heap_bytes_per_stream_released_on_close",
                        Math.round((double) (heapAt.heap() - after.heap()) / streams));
                level.put("director_heap_per_stream_by_class", histogramPerStream(histogramAt, classHistogram(), streams, 8));
            }
            level.put("problems", sink.problems());
            if (sink.problems() > 0) {
                failures.add("stream problems: seq=" + sink.sequenceErrors.sum() + " errors=" + sink.streamErrors.sum()
                        + " broken=" + sink.broken.sum() + " open=" + sink.openFailures.sum());
            }
            level.put("held", failures.isEmpty());
            level.put("failures", failures);
        }
        return after;
    }

    /** recv, sent, lost, retrans packets summed over the client connections (QUIC connection stats). */
    private static long[] quicStats(List<Conn> conns) {
        long[] total = new long[4];
        for (Conn conn : conns) {
            try {
                var stats = conn.channel.collectStats().get(5, TimeUnit.SECONDS);
                total[0] += stats.recv();
                total[1] += stats.sent();
                total[2] += stats.lost();
                total[3] += stats.retrans();
            } catch (Exception e) {
                // a connection that closed meanwhile
            }
        }
        return total;
    }

    private void measureWindow(int streams, double offered, StreamSink sink, List<GenStream> gens, List<Conn> conns,
                               Map<String, Object> level, List<String> failures) throws Exception {
        long self = ProcessHandle.current().pid();
        long[] tokensBefore = new long[gens.size()];
        for (int i = 0; i < gens.size(); i++) {
            tokensBefore[i] = gens.get(i).tokensReceived;
        }
        Profiling profile = cfg.profile() ? Profiling.start(director, cfg.out(), "scale-" + streams) : null;
        sink.takeLatencies();
        sink.recording = true;
        long t0 = System.nanoTime();
        long tokens0 = sink.tokens.sum();
        long dir0 = ProcStat.cpuTicks(director.pid());
        Map<String, Long> threads0 = ProcStat.threadTicks(director.pid());
        long self0 = ProcStat.cpuTicks(self);
        long[] quic0 = quicStats(conns);
        long udp0 = ProcStat.udpReceiveBufferErrors();
        long directorDrops0 = ProcStat.udpDrops(director.pid());
        long benchDrops0 = ProcStat.udpDrops(self);
        Prometheus m0 = director.metrics();
        sleep(cfg.scaleWindow());
        long t1 = System.nanoTime();
        sink.recording = false;
        long tokens1 = sink.tokens.sum();
        long dir1 = ProcStat.cpuTicks(director.pid());
        Map<String, Long> threads1 = ProcStat.threadTicks(director.pid());
        long self1 = ProcStat.cpuTicks(self);
        long[] quic1 = quicStats(conns);
        long udp1 = ProcStat.udpReceiveBufferErrors();
        long directorDrops1 = ProcStat.udpDrops(director.pid());
        long benchDrops1 = ProcStat.udpDrops(self);
        Prometheus m1 = director.metrics();
        Histogram latencies = sink.takeLatencies();
        if (profile != null) {
            level.put("profile", profile.stop());
        }
        double seconds = (t1 - t0) / 1e9;
        double tick = ProcStat.ticksPerSecond();
        double rate = (tokens1 - tokens0) / seconds;
        int silent = 0;
        for (int i = 0; i < gens.size(); i++) {
            if (gens.get(i).tokensReceived == tokensBefore[i]) {
                silent++;
            }
        }
        level.put("window_seconds", Stats.round1(seconds));
        level.put("tokens_per_second", Math.round(rate));
        level.put("delivered_ratio", Stats.round3(rate / offered));
        Map<String, Object> lat = Stats.summary(latencies, 1e6);
        level.put("p50_token_latency_ms", lat.get("p50"));
        level.put("p99_token_latency_ms", lat.get("p99"));
        level.put("latency_ms", lat);
        level.put("director_cpu_cores", Stats.round3((dir1 - dir0) / tick / seconds));
        level.put("bench_jvm_cpu_cores", Stats.round3((self1 - self0) / tick / seconds));
        Map<String, Object> busiest = new LinkedHashMap<>();
        threads1.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - threads0.getOrDefault(e.getKey(), 0L)))
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(4)
                .forEach(e -> busiest.put(e.getKey(), Stats.round3(e.getValue() / tick / seconds)));
        level.put("director_busiest_threads_cores", busiest);
        if (m0 != null && m1 != null) {
            level.put("director_relayed_per_second", Math.round((m1.sum("connection_swap_tokens_relayed_total")
                    - m0.sum("connection_swap_tokens_relayed_total")) / seconds));
            Map<String, Object> swaps = new LinkedHashMap<>();
            for (Prometheus.Sample sample : m1.samples("connection_swap_swaps_total")) {
                String reason = sample.labels().get("reason");
                double before = m0.sum("connection_swap_swaps_total", labels -> reason.equals(labels.get("reason"))
                        && java.util.Objects.equals(sample.labels().get("worker"), labels.get("worker")));
                if (sample.value() > before) {
                    swaps.merge(reason, (long) (sample.value() - before), (a, b) -> (long) a + (long) b);
                }
            }
            level.put("swaps_in_window", swaps);
            long refused = (long) (m1.sum("connection_swap_no_healthy_worker_total") - m0.sum("connection_swap_no_healthy_worker_total"));
            level.put("no_healthy_worker_refusals", refused);
            if (!swaps.isEmpty()) {
                failures.add("swaps during the window (no fault was injected): " + swaps);
            }
        }
        level.put("silent_streams", silent);
        long tokensInWindow = Math.max(1, tokens1 - tokens0);
        level.put("client_datagrams_received_per_token", Stats.round3((double) (quic1[0] - quic0[0]) / tokensInWindow));
        level.put("client_datagrams_sent_per_token", Stats.round3((double) (quic1[1] - quic0[1]) / tokensInWindow));
        level.put("client_packets_lost_and_retransmitted", (quic1[2] - quic0[2]) + "/" + (quic1[3] - quic0[3]));
        level.put("udp_drops_director", directorDrops0 >= 0 && directorDrops1 >= 0 ? directorDrops1 - directorDrops0 : null);
        level.put("udp_drops_bench_jvm", benchDrops0 >= 0 && benchDrops1 >= 0 ? benchDrops1 - benchDrops0 : null);
        level.put("udp_drops_machine", udp0 >= 0 && udp1 >= 0 ? udp1 - udp0 : null);
        level.put("machine_loadavg", MachineInfo.loadAverage());
        if (rate < 0.95 * offered) {
            failures.add(String.format(Locale.ROOT, "delivered %.0f tokens/s of %.0f offered (%.0f%%)", rate, offered,
                    100 * rate / offered));
        }
        double p99 = Stats.num(lat, "p99");
        if (!(p99 <= 1000)) {
            failures.add(String.format(Locale.ROOT, "p99 token latency %.0f ms > 1000 ms", p99));
        }
        if (silent > 0) {
            failures.add(silent + " streams delivered no token in the window");
        }
    }

    private record Heap(long heap, long rss, String method) {
    }

    /** The director's heap after a forced full GC (jcmd GC.run); without jcmd, the lowest of a few samples. */
    private Heap heapAfterGc() {
        String gc = director.jcmd(Duration.ofSeconds(60), "GC.run");
        if (gc != null) {
            sleep(Duration.ofMillis(300));
            return new Heap(directorHeap(), ProcStat.rssBytes(director.pid()), "jcmd GC.run + jvm_memory_used_bytes{area=heap}");
        }
        long lowest = Long.MAX_VALUE;
        for (int i = 0; i < 15; i++) {
            long heap = directorHeap();
            if (heap > 0) {
                lowest = Math.min(lowest, heap);
            }
            sleep(Duration.ofMillis(200));
        }
        return new Heap(lowest == Long.MAX_VALUE ? -1 : lowest, ProcStat.rssBytes(director.pid()),
                "lowest jvm_memory_used_bytes{area=heap} of 15 samples over 3 s (jcmd unavailable)");
    }

    /** Live instances and bytes per class on the director's heap (jcmd GC.class_histogram runs a full GC first). */
    private Map<String, long[]> classHistogram() {
        String out = director.jcmd(Duration.ofSeconds(60), "GC.class_histogram");
        Map<String, long[]> classes = new LinkedHashMap<>();
        if (out == null) {
            return classes;
        }
        for (String line : out.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            // " num:  #instances  #bytes  class name (module)"
            if (fields.length >= 4 && fields[0].endsWith(":")) {
                try {
                    classes.put(fields[3], new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])});
                } catch (NumberFormatException e) {
                    // not a class row
                }
            }
        }
        return classes;
    }

    /** Bytes per stream by class: what the N streams' open state adds on the heap (with minus without). */
    private static Map<String, Object> histogramPerStream(Map<String, long[]> with, Map<String, long[]> without, int streams,
                                                          int top) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (with.isEmpty() || without.isEmpty()) {
            return out;
        }
        long total = 0;
        List<Map.Entry<String, long[]>> grown = new ArrayList<>();
        for (Map.Entry<String, long[]> entry : with.entrySet()) {
            long[] before = without.getOrDefault(entry.getKey(), new long[2]);
            long bytes = entry.getValue()[1] - before[1];
            long instances = entry.getValue()[0] - before[0];
            if (bytes > 0) {
                total += bytes;
                grown.add(Map.entry(entry.getKey(), new long[] {instances, bytes}));
            }
        }
        out.put("bytes_per_stream", Math.round((double) total / streams));
        grown.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        List<String> classes = new ArrayList<>();
        for (Map.Entry<String, long[]> entry : grown.subList(0, Math.min(top, grown.size()))) {
            classes.add(String.format(Locale.ROOT, "%.1f B, %.2f instances per stream: %s",
                    (double) entry.getValue()[1] / streams, (double) entry.getValue()[0] / streams, entry.getKey()));
        }
        out.put("top_classes", classes);
        return out;
    }

    private long directorHeap() {
        Prometheus metrics = director.metrics();
        return metrics == null ? -1 : (long) metrics.sum("jvm_memory_used_bytes", "area", "heap");
    }

    // ------------------------------------------------------------------------------------------------ waits

    private int directorHealthy() {
        Prometheus metrics = director.metrics();
        return metrics == null ? -1 : (int) metrics.sum("connection_swap_workers", "state", "healthy");
    }

    private void awaitHealthy(int count) {
        await("director sees " + count + " healthy workers", HEALTHY_DEADLINE, () -> directorHealthy() == count);
    }

    /**
     * With every bench connection closed and no session left, the director should hold about one QUIC stream channel
     * per worker link (its heartbeat stream). More means stream channels kept after their stream ended.
     */
    private void retainedStreamChannels(Map<String, Object> checks) {
        if (director == null || !director.alive()) {
            return;
        }
        if (directorConn != null) {
            directorConn.close();
            directorConn = null;
        }
        sleep(Duration.ofSeconds(2));
        Map<String, long[]> classes = classHistogram();
        long[] channels = classes.getOrDefault("io.netty.handler.codec.quic.QuicheQuicStreamChannel", new long[2]);
        long[] sessions = classes.getOrDefault("io.connectionswap.director.relay.RelaySession", new long[2]);
        checks.put("director_stream_channels_at_end", channels[0]);
        checks.put("director_stream_channel_bytes_at_end", channels[1]);
        checks.put("director_relay_sessions_at_end", sessions[0]);
        checks.put("director_streams_active_at_end", directorStreamsActive());
        try (var lines = Files.lines(director.log(), StandardCharsets.UTF_8)) {
            checks.put("director_client_streams_opened", lines.filter(line -> line.contains("client opened stream")).count());
        } catch (IOException | java.io.UncheckedIOException e) {
            checks.put("director_client_streams_opened", null);
        }
    }

    private long directorStreamsActive() {
        Prometheus metrics = director.metrics();
        return metrics == null ? -1 : (long) metrics.sum("connection_swap_streams_active");
    }

    /**
     * After the bench reset its streams on the shared connection, the director must have no session left. Some
     * resets go unnoticed by the director (see README, limits); then the connection is replaced, which ends them.
     */
    private void settleDirector() {
        if (poll(Duration.ofSeconds(3), () -> directorStreamsActive() == 0)) {
            return;
        }
        long left = directorStreamsActive();
        unnoticedResets += Math.max(0, left);
        say("%d director sessions did not end after the client reset its streams; replacing the connection", left);
        directorConn.close();
        try {
            directorConn = clients.director(directorPort, true);
        } catch (Exception e) {
            throw new IllegalStateException("cannot reconnect to the director", e);
        }
        awaitStreamsIdle(Duration.ofSeconds(15));
    }

    private boolean awaitStreamsIdle(Duration timeout) {
        boolean idle = poll(timeout, () -> {
            Prometheus metrics = director.metrics();
            return metrics != null && metrics.sum("connection_swap_streams_active") == 0;
        });
        if (!idle) {
            say("warning: director still reports active streams after %s", timeout);
        }
        return idle;
    }

    private void await(String what, Duration timeout, BooleanSupplier condition) {
        if (!poll(timeout, condition)) {
            throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for: " + what
                    + (director != null ? "\n--- director log tail ---\n" + director.logTail(15) : ""));
        }
    }

    private static boolean poll(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(Duration.ofMillis(20));
        }
    }

    static void sleep(Duration duration) {
        try {
            TimeUnit.NANOSECONDS.sleep(duration.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ------------------------------------------------------------------------------------------------ output, cleanup

    private void writeSummary() {
        try {
            JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
            Files.writeString(cfg.out().resolve("summary.json"), json.writeValueAsString(summary) + "\n", StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            System.out.println("[bench] cannot write summary.json: " + e);
        }
    }

    private void shutdown() {
        say("stopping");
        if (directorConn != null) {
            directorConn.close();
        }
        for (WorkerProc proc : procs) {
            if (proc.process != null) {
                proc.process.stop(Duration.ofSeconds(20));
            }
        }
        for (InJvmWorker worker : inJvm) {
            worker.close();
        }
        inJvm.clear();
        if (clients != null) {
            clients.close();
        }
        if (director != null) {
            director.stop(Duration.ofSeconds(20));
        }
    }

    /** Shutdown hook: on Ctrl-C or any exit, no child process outlives the bench. */
    private void emergencyCleanup() {
        ChildProcess.shuttingDown();
        for (ChildProcess child : ChildProcess.ALL) {
            child.killNow();
        }
        Thread closer = new Thread(() -> inJvm.forEach(InJvmWorker::close), "bench-close-workers");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private void say(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[bench %6.1fs] %s%n", elapsed(), String.format(Locale.ROOT, format, args));
    }

    /** The service jar: run.sh's private copy (-Dbench.jars) so that a build in the tree cannot replace it mid-run. */
    private Path jar(String service) {
        String copies = System.getProperty("bench.jars");
        if (copies != null && Files.isRegularFile(Path.of(copies, service + ".jar"))) {
            return Path.of(copies, service + ".jar");
        }
        return root.resolve(service + "/target/" + service + ".jar");
    }

    static String jdkTool(String name) {
        Path tool = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(tool) ? tool.toString() : name;
    }

    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("director-service/pom.xml")) && Files.exists(dir.resolve("certs/ca.pem"))) {
                return dir;
            }
        }
        throw new IllegalStateException("repository root not found above " + Path.of("").toAbsolutePath());
    }

    // ------------------------------------------------------------------------------------------------ config

    record Config(boolean quick, boolean profile, Path out, Duration tokenInterval, Set<String> phases, int relayStreams,
                  Duration relayWarmup, Duration relaySegment, int relayPairs, int swapRounds, List<Integer> scaleLevels,
                  int maxStreams, int streamsPerConnection, int rampPerSecond, Duration scaleSettle, Duration scaleWindow,
                  Duration deadline,
                  List<String> directorJvm, List<String> workerJvm, List<Integer> scaleUp, int scaleBisections,
                  int clientRcvbuf) {

        static Config parse(String[] args) {
            boolean quick = false;
            boolean profile = false;
            Path out = Path.of("bench/out");
            Duration interval = Duration.ofMillis(50);
            Set<String> phases = new LinkedHashSet<>(List.of("relay", "health", "process", "scale"));
            Integer rounds = null;
            Integer maxStreams = null;
            int ramp = 500;
            int rcvbuf = 4 << 20;
            for (String arg : args) {
                if (arg.equals("--quick")) {
                    quick = true;
                } else if (arg.equals("--profile")) {
                    profile = true;
                } else if (arg.startsWith("--out=")) {
                    out = Path.of(arg.substring(6));
                } else if (arg.startsWith("--token-interval-ms=")) {
                    interval = Duration.ofMillis(Long.parseLong(arg.substring(20)));
                } else if (arg.startsWith("--phases=")) {
                    phases = new LinkedHashSet<>(List.of(arg.substring(9).split(",")));
                } else if (arg.startsWith("--rounds=")) {
                    rounds = Integer.parseInt(arg.substring(9));
                } else if (arg.startsWith("--client-rcvbuf=")) {
                    rcvbuf = Integer.parseInt(arg.substring(16));
                } else if (arg.startsWith("--ramp=")) {
                    ramp = Integer.parseInt(arg.substring(7));
                } else if (arg.startsWith("--max-streams=")) {
                    maxStreams = Integer.parseInt(arg.substring(14));
                } else if (arg.equals("-h") || arg.equals("--help")) {
                    System.out.println("usage: bench/run.sh [--quick] [--profile] [--phases=relay,health,process,scale] "
                            + "[--rounds=N] [--max-streams=N] [--ramp=STREAMS_PER_S] [--client-rcvbuf=BYTES] [--token-interval-ms=50] [--out=bench/out]");
                    System.exit(0);
                } else {
                    throw new IllegalArgumentException("unknown argument " + arg + " (try --help)");
                }
            }
            List<String> directorJvm = new ArrayList<>(List.of(env("BENCH_DIRECTOR_JAVA_OPTS", "-Xms256m -Xmx1g").split("\\s+")));
            if (profile) {
                directorJvm.addAll(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints"));
            }
            List<String> workerJvm = List.of(env("BENCH_WORKER_JAVA_OPTS",
                    "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1").split("\\s+"));
            List<Integer> levels = List.of(100, 1000);
            List<Integer> up = quick ? List.of(2500) : List.of(2000, 3000, 5000, 7500, 10000);
            return new Config(quick, profile, out.toAbsolutePath(), interval, phases,
                    20,
                    quick ? Duration.ofSeconds(4) : Duration.ofSeconds(8),
                    quick ? Duration.ofSeconds(4) : Duration.ofSeconds(10),
                    quick ? 2 : 4,
                    rounds != null ? rounds : quick ? 3 : 20,
                    levels,
                    maxStreams != null ? maxStreams : 10_000,
                    100,
                    ramp,
                    quick ? Duration.ofSeconds(2) : Duration.ofSeconds(5),
                    quick ? Duration.ofSeconds(5) : Duration.ofSeconds(15),
                    quick ? Duration.ofMinutes(10) : Duration.ofMinutes(60),
                    directorJvm, workerJvm, up, quick ? 1 : 3, rcvbuf);
        }

        private static String env(String name, String fallback) {
            String value = System.getenv(name);
            return value == null || value.isBlank() ? fallback : value.trim();
        }
    }
}
