package io.connectionswap.bench;

import io.connectionswap.bench.GenStream.Target;
import io.connectionswap.bench.QuicClients.Conn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * {@code relay.*}: per-token latency (worker emit to client receive, one clock) through the director versus the same
 * in-JVM workers dialled directly, by the bench client in the bench JVM (the workers' own process) and by a client in
 * a process of its own ({@link DirectRelayClient}), in alternating segments so that machine noise hits every path
 * alike.
 */
final class RelayPhase extends BenchPhase {


    RelayPhase(Cluster cluster, Results results) {
        super(cluster, results);
    }

    /** The three routes a token takes in the relay figure. */
    private enum Route {
        /** Worker (bench JVM) to director process to bench client (bench JVM). */
        DIRECTOR("director"),
        /** Worker to bench client, both in the bench JVM: no process boundary. */
        DIRECT("direct"),
        /** Worker (bench JVM) to a client in its own process: one boundary, as for any real client. */
        DIRECT_PROCESS("direct-process");

        final String label;

        Route(String label) {
            this.label = label;
        }
    }

    /** Each pair's order: the director in the middle, each direct path first once and last once. */
    private static final List<Route> ORDER = List.of(Route.DIRECT, Route.DIRECTOR, Route.DIRECT_PROCESS);

    @Override
    void run() throws Exception {
        List<Conn> direct = new ArrayList<>();
        for (InJvmWorker worker : cluster.inJvm()) {
            direct.add(cluster.clients().worker(worker.quicPort()));
        }
        try (DirectRelayProcess directProcess = DirectRelayProcess.start(cluster)) {
            Console.say("relay: warm-up %s per path", cfg.relayWarmup());
            for (Route route : ORDER) {
                segment(route, direct, directProcess, cfg.relayWarmup());
            }
            Map<Route, Histogram> latencies = new java.util.EnumMap<>(Route.class);
            for (Route route : Route.values()) {
                latencies.put(route, new Histogram(3));
            }
            long problems = 0;
            long self = ProcessHandle.current().pid();
            long directorPid = cluster.director().pid();
            long directorDrops0 = ProcStat.udpDrops(directorPid);
            long benchDrops0 = ProcStat.udpDrops(self);
            long directClientDrops0 = ProcStat.udpDrops(directProcess.pid());
            Metrics before = cluster.metrics();
            double swapTotal0 = before == null ? 0 : before.swaps();
            for (int pair = 0; pair < cfg.relayPairs(); pair++) {
                List<Route> order = new ArrayList<>(ORDER);
                if (pair % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (Route route : order) {
                    SegmentResult result = segment(route, direct, directProcess, cfg.relaySegment());
                    latencies.get(route).add(result.latencies());
                    problems += result.problems();
                    Console.say("relay: %-14s segment %d: p50 %.0f us, p99 %.0f us (%d tokens)", route.label, pair + 1,
                            result.latencies().getValueAtPercentile(50) / 1e3,
                            result.latencies().getValueAtPercentile(99) / 1e3, result.latencies().getTotalCount());
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            Map<String, Object> d = Stats.summary(latencies.get(Route.DIRECT), 1e3);
            Map<String, Object> p = Stats.summary(latencies.get(Route.DIRECT_PROCESS), 1e3);
            Map<String, Object> r = Stats.summary(latencies.get(Route.DIRECTOR), 1e3);
            out.put("direct_p50_us", d.get("p50"));
            out.put("director_p50_us", r.get("p50"));
            out.put("overhead_p50_us", Stats.round1(Stats.num(r, "p50") - Stats.num(d, "p50")));
            out.put("direct_p99_us", d.get("p99"));
            out.put("director_p99_us", r.get("p99"));
            out.put("overhead_p99_us", Stats.round1(Stats.num(r, "p99") - Stats.num(d, "p99")));
            out.put("direct_process_p50_us", p.get("p50"));
            out.put("direct_process_p99_us", p.get("p99"));
            out.put("overhead_vs_process_p50_us", Stats.round1(Stats.num(r, "p50") - Stats.num(p, "p50")));
            out.put("overhead_vs_process_p99_us", Stats.round1(Stats.num(r, "p99") - Stats.num(p, "p99")));
            out.put("direct_us", d);
            out.put("direct_process_us", p);
            out.put("director_us", r);
            out.put("streams", cfg.relayStreams());
            out.put("segments_per_path", cfg.relayPairs());
            out.put("segment_seconds", cfg.relaySegment().toSeconds());
            out.put("problems", problems);
            Metrics after = cluster.metrics();
            out.put("director_swaps_during_relay", after == null ? null : (long) (after.swaps() - swapTotal0));
            out.put("udp_drops_director", ProcStat.udpDrops(directorPid) - directorDrops0);
            out.put("udp_drops_bench_jvm", ProcStat.udpDrops(self) - benchDrops0);
            out.put("udp_drops_direct_client", ProcStat.udpDrops(directProcess.pid()) - directClientDrops0);
            out.put("method", "worker emit (System.nanoTime() in the token text, in-JVM worker) to client receive "
                    + "(System.nanoTime(): CLOCK_MONOTONIC, one clock for every process); direct = the bench client "
                    + "in the workers' JVM dials them with the director's certificate and sends the ASSIGNMENT; "
                    + "direct_process = the same from a client process of its own (DirectRelayClient); overhead = "
                    + "director - direct, overhead_vs_process = director - direct_process; alternating segments, "
                    + "warm-up discarded");
            results.put("relay", out);
        } finally {
            direct.forEach(Conn::close);
        }
    }

    record SegmentResult(Histogram latencies, long problems) {
    }

    private SegmentResult segment(Route route, List<Conn> direct, DirectRelayProcess directProcess, Duration length) {
        SegmentResult result = route == Route.DIRECT_PROCESS ? directProcess.segment(length)
                : segment(route == Route.DIRECTOR ? Target.DIRECTOR : Target.WORKER, direct, length);
        if (route != Route.DIRECTOR && !Waits.poll(Duration.ofSeconds(3), () -> cluster.inJvmActiveStreams() == 0)) {
            long left = cluster.inJvmActiveStreams();
            cluster.noteUnnoticedWorkerResets(left);
            Console.say("relay: %d worker streams still served 3 s after the client reset them", left);
        }
        return result;
    }

    private SegmentResult segment(Target target, List<Conn> direct, Duration length) {
        try {
            return measure(target, i -> target == Target.DIRECTOR ? cluster.directorConn() : direct.get(i % direct.size()),
                    cfg.relayStreams(), cluster.clients(), cluster.directorPort(), length,
                    flowing -> cluster.await("relay streams flowing", Duration.ofSeconds(30), flowing));
        } finally {
            cluster.settleDirector();
        }
    }

    /**
     * One segment of one route, in whichever process its client is: {@code streams} generations opened on
     * {@code connection(i)}, awaited (by {@code awaitFlowing}) until each has 3 tokens, recorded for {@code length},
     * then reset.
     */
    static SegmentResult measure(Target target, java.util.function.IntFunction<Conn> connection, int streams,
                                 QuicClients clients, int directorPort, Duration length,
                                 java.util.function.Consumer<java.util.function.BooleanSupplier> awaitFlowing) {
        StreamSink sink = new StreamSink(true);
        sink.recording = false;
        List<GenStream> gens = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            GenStream gen = new GenStream(i, target, connection.apply(i), sink, clients, directorPort);
            gens.add(gen);
            gen.open();
        }
        try {
            awaitFlowing.accept(() -> gens.stream().allMatch(g -> g.tokensReceived >= 3));
            sink.takeLatencies();
            sink.recording = true;
            Waits.sleep(length);
            sink.recording = false;
            return new SegmentResult(sink.takeLatencies(), sink.problems());
        } finally {
            gens.forEach(GenStream::cancel);
        }
    }
}
