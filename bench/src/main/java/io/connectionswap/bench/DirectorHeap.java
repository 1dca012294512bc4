package io.connectionswap.bench;

import io.connectionswap.testsupport.process.ClassHistogram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The director's heap and live objects: after a forced full GC (jcmd), and by class (jcmd GC.class_histogram). */
final class DirectorHeap {

    record Heap(long heap, long rss, String method) {
    }

    private final ChildProcess director;

    DirectorHeap(ChildProcess director) {
        this.director = director;
    }

    /** The director's heap after a forced full GC (jcmd GC.run); without jcmd, the lowest of a few samples. */
    Heap afterGc() {
        String gc = director.jcmd(Duration.ofSeconds(60), "GC.run");
        if (gc != null) {
            Waits.sleep(Duration.ofMillis(300));
            return new Heap(heapUsed(), ProcStat.rssBytes(director.pid()), "jcmd GC.run + jvm_memory_used_bytes{area=heap}");
        }
        long lowest = Long.MAX_VALUE;
        for (int i = 0; i < 15; i++) {
            long heap = heapUsed();
            if (heap > 0) {
                lowest = Math.min(lowest, heap);
            }
            Waits.sleep(Duration.ofMillis(200));
        }
        return new Heap(lowest == Long.MAX_VALUE ? -1 : lowest, ProcStat.rssBytes(director.pid()),
                "lowest jvm_memory_used_bytes{area=heap} of 15 samples over 3 s (jcmd unavailable)");
    }

    /** Live instances and bytes per class on the director's heap (jcmd GC.class_histogram runs a full GC first). */
    Map<String, long[]> classHistogram() {
        String out = director.jcmd(Duration.ofSeconds(60), "GC.class_histogram");
        return out == null ? new LinkedHashMap<>() : ClassHistogram.parse(out).byClass();
    }

    /** Bytes per stream by class: what the N streams' open state adds on the heap (with minus without). */
    static Map<String, Object> perStream(Map<String, long[]> with, Map<String, long[]> without, int streams, int top) {
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

    private long heapUsed() {
        Metrics metrics = director.metrics();
        return metrics == null ? -1 : metrics.heapUsedBytes();
    }
}
