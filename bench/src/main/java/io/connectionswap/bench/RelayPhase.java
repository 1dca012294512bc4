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
 * in-JVM workers dialled directly, in alternating segments so that machine noise hits both paths alike.
 */
final class RelayPhase {

    private final Cluster cluster;
    private final BenchConfig cfg;
    private final Results results;

    RelayPhase(Cluster cluster, Results results) {
        this.cluster = cluster;
        this.cfg = cluster.cfg();
        this.results = results;
    }

    void run() throws Exception {
        List<Conn> direct = new ArrayList<>();
        for (InJvmWorker worker : cluster.inJvm()) {
            direct.add(cluster.clients().worker(worker.quicPort()));
        }
        try {
            Console.say("relay: warm-up %s per path", cfg.relayWarmup());
            segment(Target.DIRECTOR, direct, cfg.relayWarmup());
            segment(Target.WORKER, direct, cfg.relayWarmup());
            Histogram viaDirector = new Histogram(3);
            Histogram viaWorker = new Histogram(3);
            long problems = 0;
            long self = ProcessHandle.current().pid();
            long directorPid = cluster.director().pid();
            long directorDrops0 = ProcStat.udpDrops(directorPid);
            long benchDrops0 = ProcStat.udpDrops(self);
            Metrics before = cluster.metrics();
            double swapTotal0 = before == null ? 0 : before.swaps();
            for (int pair = 0; pair < cfg.relayPairs(); pair++) {
                boolean directorFirst = pair % 2 == 1;
                for (int leg = 0; leg < 2; leg++) {
                    Target target = (leg == 0) == directorFirst ? Target.DIRECTOR : Target.WORKER;
                    SegmentResult result = segment(target, direct, cfg.relaySegment());
                    (target == Target.DIRECTOR ? viaDirector : viaWorker).add(result.latencies());
                    problems += result.problems();
                    Console.say("relay: %-8s segment %d: p50 %.0f us, p99 %.0f us (%d tokens)", target == Target.DIRECTOR
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
            Metrics after = cluster.metrics();
            out.put("director_swaps_during_relay", after == null ? null : (long) (after.swaps() - swapTotal0));
            out.put("udp_drops_director", ProcStat.udpDrops(directorPid) - directorDrops0);
            out.put("udp_drops_bench_jvm", ProcStat.udpDrops(self) - benchDrops0);
            out.put("method", "worker emit (System.nanoTime() in the token text, in-JVM worker) to bench-client receive "
                    + "(same JVM, same clock); direct = bench client dials the same in-JVM workers with the director's "
                    + "certificate and sends the ASSIGNMENT; alternating segments, warm-up discarded");
            results.put("relay", out);
        } finally {
            direct.forEach(Conn::close);
        }
    }

    private record SegmentResult(Histogram latencies, long problems) {
    }

    private SegmentResult segment(Target target, List<Conn> direct, Duration length) {
        StreamSink sink = new StreamSink(true);
        sink.recording = false;
        List<GenStream> gens = new ArrayList<>();
        for (int i = 0; i < cfg.relayStreams(); i++) {
            Conn conn = target == Target.DIRECTOR ? cluster.directorConn() : direct.get(i % direct.size());
            GenStream gen = new GenStream(i, target, conn, sink, cluster.clients(), cluster.directorPort());
            gens.add(gen);
            gen.open();
        }
        try {
            cluster.await("relay streams flowing", Duration.ofSeconds(30),
                    () -> gens.stream().allMatch(g -> g.tokensReceived >= 3));
            sink.takeLatencies();
            sink.recording = true;
            Waits.sleep(length);
            sink.recording = false;
            return new SegmentResult(sink.takeLatencies(), sink.problems());
        } finally {
            gens.forEach(GenStream::cancel);
            if (target == Target.WORKER && !Waits.poll(Duration.ofSeconds(3), () -> cluster.inJvmActiveStreams() == 0)) {
                long left = cluster.inJvmActiveStreams();
                cluster.noteUnnoticedWorkerResets(left);
                Console.say("relay: %d worker streams still served 3 s after the client reset them", left);
            }
            cluster.settleDirector();
        }
    }
}
