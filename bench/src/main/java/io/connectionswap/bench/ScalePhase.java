package io.connectionswap.bench;

import io.connectionswap.bench.GenStream.Target;
import io.connectionswap.bench.QuicClients.Conn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code scale.*}: concurrent streams through one director at growing levels ({@link ScaleLevel}), the required
 * levels first, then up while levels are held, or a bisection below the first level not held.
 */
final class ScalePhase extends BenchPhase {


    ScalePhase(Cluster cluster, Results results) {
        super(cluster, results);
    }

    @Override
    void run() throws Exception {
        inJvmWorkersInRotation();
        List<Map<String, Object>> levels = new ArrayList<>();
        Map<String, Object> out = new LinkedHashMap<>();
        results.put("scale", out);
        out.put("levels", levels);
        warmUp();
        DirectorHeap heap = new DirectorHeap(cluster.director());
        DirectorHeap.Heap base = heap.afterGc();
        Map<String, Object> held = null;
        List<Integer> plan = new ArrayList<>(cfg.scaleLevels());
        int lowHeld = 0;
        int lowFailed = Integer.MAX_VALUE;
        int bisections = 0;
        while (!plan.isEmpty()) {
            int streams = Math.min(plan.remove(0), cfg.maxStreams()); // a level above the cap is tried at the cap
            if (streams <= lowHeld || streams >= lowFailed) {
                continue;
            }
            Map<String, Object> level = new LinkedHashMap<>();
            levels.add(level);
            cluster.awaitHealthy(cluster.inJvm().size());
            DirectorHeap.Heap after = new ScaleLevel(cluster, streams, level).run(base);
            base = after != null ? after : heap.afterGc();
            boolean pass = Boolean.TRUE.equals(level.get("held"));
            Console.say("scale %5d streams: %s", streams, Report.levelLine(level));
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
        out.put("director_cpu_us_per_token", best.get("director_cpu_us_per_token"));
        out.put("bench_jvm_cpu_us_per_token", best.get("bench_jvm_cpu_us_per_token"));
        out.put("client_datagrams_received_per_token", best.get("client_datagrams_received_per_token"));
        out.put("director_datagrams_per_token", best.get("director_datagrams_per_token"));
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
                + "core busy); threads from /proc/<pid>/task/*/stat; *_cpu_us_per_token = that CPU time over the tokens "
                + "the director relayed in the window (its connection_swap_tokens_relayed_total), so the director's "
                + "figure does not depend on how much the generator (the bench JVM) could offer");
    }

    /** JIT warm-up of the relay path before the first measured level (not measured). */
    private void warmUp() throws Exception {
        StreamSink sink = new StreamSink(true);
        List<GenStream> gens = new ArrayList<>();
        Conn conn = cluster.clients().director(cluster.directorPort(), true);
        for (int i = 0; i < 200; i++) {
            GenStream gen = new GenStream(i, Target.DIRECTOR, conn, sink, cluster.clients(), cluster.directorPort());
            gens.add(gen);
            gen.open();
            Waits.sleep(Duration.ofNanos(1_000_000_000L / cfg.rampPerSecond()));
        }
        try {
            Waits.sleep(Duration.ofSeconds(Math.max(6, cfg.scaleSettle().multipliedBy(2).toSeconds())));
        } finally {
            gens.forEach(GenStream::cancel);
            Waits.sleep(Duration.ofSeconds(1));
            conn.close();
            cluster.awaitStreamsIdle(Duration.ofSeconds(30));
        }
        cluster.awaitHealthy(cluster.inJvm().size());
    }
}
