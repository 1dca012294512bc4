package io.connectionswap.bench;

import io.connectionswap.bench.QuicClients.Conn;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The measurement window of one scale level: tokens received against the offered rate, token latency, CPU of the
 * director (and its busiest threads) and of the bench JVM, QUIC datagrams per token, UDP drops, and the director's
 * swaps and refusals; then the held verdict's failures.
 */
final class ScaleWindow {

    private final Cluster cluster;
    private final BenchConfig cfg;
    private final int streams;
    private final double offered;
    private final StreamSink sink;
    private final List<GenStream> gens;
    private final List<Conn> conns;
    private final Map<String, Object> level;
    private final List<String> failures;

    ScaleWindow(Cluster cluster, int streams, double offered, StreamSink sink, List<GenStream> gens, List<Conn> conns,
                Map<String, Object> level, List<String> failures) {
        this.cluster = cluster;
        this.cfg = cluster.cfg();
        this.streams = streams;
        this.offered = offered;
        this.sink = sink;
        this.gens = gens;
        this.conns = conns;
        this.level = level;
        this.failures = failures;
    }

    void measure() throws Exception {
        ChildProcess director = cluster.director();
        long self = ProcessHandle.current().pid();
        long[] tokensBefore = new long[gens.size()];
        for (int i = 0; i < gens.size(); i++) {
            tokensBefore[i] = gens.get(i).tokensReceived;
        }
        Profiling profile = cfg.profile() ? Profiling.start(director, cfg.out(), "scale-" + streams) : null;
        sink.takeLatencies();
        sink.recording = true;
        Counters before = Counters.read(sink, director, self, conns);
        Waits.sleep(cfg.scaleWindow());
        sink.recording = false;
        Counters after = Counters.read(sink, director, self, conns);
        Histogram latencies = sink.takeLatencies();
        if (profile != null) {
            level.put("profile", profile.stop());
        }
        double seconds = (after.nanos() - before.nanos()) / 1e9;
        double tick = ProcStat.ticksPerSecond();
        double rate = (after.tokens() - before.tokens()) / seconds;
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
        double directorCpuSeconds = (after.directorTicks() - before.directorTicks()) / tick;
        double benchCpuSeconds = (after.benchTicks() - before.benchTicks()) / tick;
        level.put("director_cpu_cores", Stats.round3(directorCpuSeconds / seconds));
        level.put("bench_jvm_cpu_cores", Stats.round3(benchCpuSeconds / seconds));
        // per token the director relayed (its own counter when it answers, else what the clients received)
        Metrics m0 = before.director();
        Metrics m1 = after.director();
        long relayed = m0 != null && m1 != null ? (long) (m1.tokensRelayed() - m0.tokensRelayed())
                : after.tokens() - before.tokens();
        level.put("director_cpu_us_per_token", Stats.round1(directorCpuSeconds * 1e6 / Math.max(1, relayed)));
        level.put("bench_jvm_cpu_us_per_token", Stats.round1(benchCpuSeconds * 1e6 / Math.max(1, relayed)));
        Map<String, Object> busiest = new LinkedHashMap<>();
        after.directorThreads().entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.directorThreads().getOrDefault(e.getKey(), 0L)))
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(4)
                .forEach(e -> busiest.put(e.getKey(), Stats.round3(e.getValue() / tick / seconds)));
        level.put("director_busiest_threads_cores", busiest);
        if (m0 != null && m1 != null) {
            level.put("director_relayed_per_second", Math.round(relayed / seconds));
            Map<String, Object> datagrams = new LinkedHashMap<>();
            for (String leg : List.of("client", "worker")) {
                for (String direction : List.of("sent", "received")) {
                    datagrams.put(leg + "_" + direction, Stats.round3((m1.datagrams(leg, direction)
                            - m0.datagrams(leg, direction)) / Math.max(1, relayed)));
                }
                datagrams.put(leg + "_udp_writes", Stats.round3((m1.udpWrites(leg) - m0.udpWrites(leg))
                        / Math.max(1, relayed)));
            }
            level.put("director_datagrams_per_token", datagrams);
            Map<String, Object> swaps = m1.swapsByReasonSince(m0);
            level.put("swaps_in_window", swaps);
            level.put("no_healthy_worker_refusals", (long) (m1.noHealthyWorkerRefusals() - m0.noHealthyWorkerRefusals()));
            if (!swaps.isEmpty()) {
                failures.add("swaps during the window (no fault was injected): " + swaps);
            }
        }
        level.put("silent_streams", silent);
        long tokensInWindow = Math.max(1, after.tokens() - before.tokens());
        long[] quic0 = before.quic();
        long[] quic1 = after.quic();
        level.put("client_datagrams_received_per_token", Stats.round3((double) (quic1[0] - quic0[0]) / tokensInWindow));
        level.put("client_datagrams_sent_per_token", Stats.round3((double) (quic1[1] - quic0[1]) / tokensInWindow));
        level.put("client_packets_lost_and_retransmitted", (quic1[2] - quic0[2]) + "/" + (quic1[3] - quic0[3]));
        level.put("udp_drops_director", difference(before.directorDrops(), after.directorDrops()));
        level.put("udp_drops_bench_jvm", difference(before.benchDrops(), after.benchDrops()));
        level.put("udp_drops_machine", difference(before.machineUdpErrors(), after.machineUdpErrors()));
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

    /** A counter's growth over the window; null when either reading was unavailable (negative). */
    private static Long difference(long before, long after) {
        return before >= 0 && after >= 0 ? after - before : null;
    }

    /**
     * The counters read at each end of the window. {@code director} is null when the director's metrics did not
     * answer; a negative drop count means the reading was unavailable.
     */
    private record Counters(long nanos, long tokens, long directorTicks, Map<String, Long> directorThreads,
                            long benchTicks, long[] quic, long machineUdpErrors, long directorDrops, long benchDrops,
                            Metrics director) {

        static Counters read(StreamSink sink, ChildProcess director, long self, List<Conn> conns) {
            return new Counters(System.nanoTime(), sink.tokens.sum(), ProcStat.cpuTicks(director.pid()),
                    ProcStat.threadTicks(director.pid()), ProcStat.cpuTicks(self), quicStats(conns),
                    ProcStat.udpReceiveBufferErrors(), ProcStat.udpDrops(director.pid()), ProcStat.udpDrops(self),
                    director.metrics());
        }
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
}
