package io.connectionswap.bench;

import io.connectionswap.bench.GenStream.Target;
import io.connectionswap.bench.QuicClients.Conn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One level of the scale search: N streams ramped up at a steady rate over N/100 connections, a settle time, the
 * measurement window ({@link ScaleWindow}), then the director's heap with the streams open and after they closed.
 */
final class ScaleLevel {

    private final Cluster cluster;
    private final BenchConfig cfg;
    private final int streams;
    private final Map<String, Object> level;
    private final DirectorHeap heap;

    ScaleLevel(Cluster cluster, int streams, Map<String, Object> level) {
        this.cluster = cluster;
        this.cfg = cluster.cfg();
        this.streams = streams;
        this.level = level;
        this.heap = new DirectorHeap(cluster.director());
    }

    /** Measures the level into {@code level}; returns the director's heap once its streams closed. */
    DirectorHeap.Heap run(DirectorHeap.Heap before) throws Exception {
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
        DirectorHeap.Heap after;
        DirectorHeap.Heap heapAt = null;
        Map<String, long[]> histogramAt = Map.of();
        try {
            for (int i = 0; i < connections; i++) {
                conns.add(cluster.clients().director(cluster.directorPort(), true));
            }
            // streams arrive at a steady rate (not in one burst), so their token phases spread over the interval
            long rampStart = System.nanoTime();
            long perStreamNanos = 1_000_000_000L / cfg.rampPerSecond();
            for (int i = 0; i < streams; i++) {
                GenStream gen = new GenStream(i, Target.DIRECTOR, conns.get(i % connections), sink, cluster.clients(),
                        cluster.directorPort());
                gens.add(gen);
                gen.open();
                long due = rampStart + (i + 1) * perStreamNanos;
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    Waits.sleep(Duration.ofNanos(wait));
                }
            }
            if (!Waits.poll(Duration.ofSeconds(15), () -> gens.stream().allMatch(g -> g.tokensReceived > 0))) {
                failures.add("ramp: " + gens.stream().filter(g -> g.tokensReceived == 0).count()
                        + " streams not flowing 15 s after the last was opened");
            }
            level.put("ramp_seconds", Stats.round1((System.nanoTime() - rampStart) / 1e9));
            if (failures.isEmpty()) {
                Waits.sleep(cfg.scaleSettle());
                new ScaleWindow(cluster, streams, offered, sink, gens, conns, level, failures).measure();
                DirectorHeap.Heap at = heap.afterGc();
                level.put("director_heap_before_bytes", before.heap());
                level.put("director_heap_bytes", at.heap());
                level.put("director_rss_bytes", at.rss());
                level.put("director_heap_bytes_per_stream", before.heap() > 0 && at.heap() > 0
                        ? Math.round((double) (at.heap() - before.heap()) / streams) : null);
                level.put("director_rss_bytes_per_stream", before.rss() > 0 && at.rss() > 0
                        ? Math.round((double) (at.rss() - before.rss()) / streams) : null);
                level.put("heap_method", at.method());
                histogramAt = heap.classHistogram();
                heapAt = at;
            }
        } finally {
            gens.forEach(GenStream::cancel);
            Waits.sleep(Duration.ofSeconds(2));
            level.put("sessions_left_2s_after_client_reset", cluster.directorStreamsActive());
            conns.forEach(Conn::close);
            if (!cluster.awaitStreamsIdle(Duration.ofSeconds(60))) {
                failures.add("director still reports active streams 60 s after the level ended");
            }
            after = heap.afterGc();
            level.put("director_heap_after_close_bytes", after.heap());
            if (heapAt != null && heapAt.heap() > 0 && after.heap() > 0) {
                // heap with the N streams open minus heap once they are closed, both after a forced full GC
                level.put("director_heap_bytes_per_stream_released_on_close",
                        Math.round((double) (heapAt.heap() - after.heap()) / streams));
                level.put("director_heap_per_stream_by_class",
                        DirectorHeap.perStream(histogramAt, heap.classHistogram(), streams, 8));
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
}
