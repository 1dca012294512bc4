package io.connectionswap.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * One load window of the HAProxy comparison: N concurrent streamed completions through one path (the upstreams
 * directly, HAProxy, or our gateway), each restarted as soon as it completes, read by the same {@link SseClient}.
 * Per-chunk latency = the chunk's arrival at the client minus the moment the upstream wrote that token (the
 * upstream notes it, keyed by the text before the token; both are wall-clock microseconds on this machine). CPU of
 * every process of both paths over the same window, and per chunk delivered.
 */
final class PeerLoad {

    /** Where the client sends its requests: one base URL, or several taken in turn by stream index. */
    record Target(String name, List<String> baseUrls) {
    }

    private final Target target;
    private final int streams;
    private final int maxTokens;
    private final SseClient http;
    private final List<GreedyUpstream> upstreams;
    private final Map<String, List<Long>> processes;
    private final Map<String, Double> idleCores;
    private final ConcurrentLinkedQueue<long[]> arrivals = new ConcurrentLinkedQueue<>();
    private final LongAdder chunks = new LongAdder();
    private final LongAdder exact = new LongAdder();
    private final LongAdder inexact = new LongAdder();
    private final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean recording;
    /** epoch µs minus nanoTime/1000, fixed for the window (the two clocks do not drift apart in seconds). */
    private volatile long wallOffsetMicros;

    /**
     * @param processes the pids whose CPU is measured, by group name (e.g. "haproxy", "director+gateway")
     * @param idleCores what each group uses with no stream at all ({@link #idle}), subtracted for the "above idle" figure
     */
    PeerLoad(Target target, int streams, int maxTokens, SseClient http, List<GreedyUpstream> upstreams,
             Map<String, List<Long>> processes, Map<String, Double> idleCores) {
        this.target = target;
        this.streams = streams;
        this.maxTokens = maxTokens;
        this.http = http;
        this.upstreams = upstreams;
        this.processes = processes;
        this.idleCores = idleCores;
    }

    /** CPU of each group, in cores, over {@code window} with no stream: health checks, heartbeats, timers. */
    static Map<String, Double> idle(Map<String, List<Long>> processes, Duration window) {
        Map<String, Long> before = ticks(processes);
        long t0 = System.nanoTime();
        Waits.sleep(window);
        Map<String, Long> after = ticks(processes);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> cores = new LinkedHashMap<>();
        after.forEach((group, value) -> cores.put(group,
                (value - before.getOrDefault(group, 0L)) / (double) ProcStat.ticksPerSecond() / seconds));
        return cores;
    }

    Map<String, Object> run(Duration settle, Duration window) {
        Instant now = Instant.now();
        wallOffsetMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000 - System.nanoTime() / 1_000;
        for (int i = 0; i < streams; i++) {
            active.incrementAndGet();
            next(i);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            // the emit notes of the settle time stay: a chunk that arrives in the window may have been written before
            Waits.sleep(settle);
            Map<String, Long> cpu0 = cpuTicks();
            long self0 = ProcStat.cpuTicks(ProcessHandle.current().pid());
            long chunks0 = chunks.sum();
            long exact0 = exact.sum();
            long t0 = System.nanoTime();
            recording = true;
            Waits.sleep(window);
            recording = false;
            long t1 = System.nanoTime();
            long delivered = chunks.sum() - chunks0;
            Map<String, Long> cpu1 = cpuTicks();
            long self1 = ProcStat.cpuTicks(ProcessHandle.current().pid());
            Map<Long, Long> emits = new HashMap<>();
            upstreams.forEach(upstream -> emits.putAll(upstream.takeEmits()));
            double seconds = (t1 - t0) / 1e9;
            out.put("streams", streams);
            out.put("window_seconds", Stats.round1(seconds));
            out.put("chunks", delivered);
            out.put("chunks_per_second", Math.round(delivered / seconds));
            out.put("requests_exact", exact.sum() - exact0);
            out.put("chunk_latency_us", latency(emits));
            Map<String, Object> cores = new LinkedHashMap<>();
            Map<String, Object> perChunk = new LinkedHashMap<>();
            double tick = ProcStat.ticksPerSecond();
            Map<String, Object> aboveIdle = new LinkedHashMap<>();
            for (Map.Entry<String, Long> entry : cpu1.entrySet()) {
                double cpuSeconds = (entry.getValue() - cpu0.getOrDefault(entry.getKey(), 0L)) / tick;
                cores.put(entry.getKey(), Stats.round3(cpuSeconds / seconds));
                perChunk.put(entry.getKey(), delivered == 0 ? null : Stats.round1(cpuSeconds * 1e6 / delivered));
                Double idle = idleCores.get(entry.getKey());
                if (idle != null && delivered > 0) {
                    aboveIdle.put(entry.getKey(), Stats.round1((cpuSeconds - idle * seconds) * 1e6 / delivered));
                }
            }
            double clientSeconds = (self1 - self0) / tick;
            cores.put("bench client (bench JVM)", Stats.round3(clientSeconds / seconds));
            perChunk.put("bench client (bench JVM)", delivered == 0 ? null : Stats.round1(clientSeconds * 1e6 / delivered));
            out.put("cpu_cores", cores);
            out.put("cpu_us_per_chunk", perChunk);
            out.put("cpu_us_per_chunk_above_idle", aboveIdle);
        } finally {
            running = false;
            if (!Waits.poll(Duration.ofSeconds(60), () -> active.get() == 0)) {
                problems.add(active.get() + " streams still running 60 s after the window");
            }
            out.put("requests_not_exact", inexact.sum());
            out.put("problems", List.copyOf(problems.subList(0, Math.min(5, problems.size()))));
        }
        return out;
    }

    private Map<String, Object> latency(Map<Long, Long> emits) {
        Histogram micros = new Histogram(3);
        long unmatched = 0;
        for (long[] arrival : arrivals) {
            Long emitted = emits.get(arrival[0]);
            if (emitted == null) {
                unmatched++;
            } else {
                micros.recordValue(Math.max(0, arrival[1] - emitted));
            }
        }
        Map<String, Object> out = Stats.summary(micros, 1);
        out.put("unmatched", unmatched);
        return out;
    }

    private Map<String, Long> cpuTicks() {
        return ticks(processes);
    }

    private static Map<String, Long> ticks(Map<String, List<Long>> processes) {
        Map<String, Long> ticks = new LinkedHashMap<>();
        processes.forEach((group, pids) -> ticks.put(group, pids.stream().mapToLong(ProcStat::cpuTicks).sum()));
        return ticks;
    }

    private void next(int index) {
        if (!running) {
            active.decrementAndGet();
            return;
        }
        String url = target.baseUrls().get(index % target.baseUrls().size());
        String prompt = "peer-bench " + target.name() + " stream " + index + " request " + started.incrementAndGet() + ":";
        CompletionStream stream = new CompletionStream(GreedyUpstream.MODEL, prompt, maxTokens, this::chunk);
        http.start(url, stream).whenComplete((done, failure) -> {
            if (failure == null && "exact".equals(done.outcome()) && done.done) {
                exact.increment();
            } else {
                inexact.increment();
                if (problems.size() < 5) {
                    problems.add(failure != null ? failure.toString() : done.outcome() + " " + done.describe());
                }
            }
            next(index);
        });
    }

    private void chunk(CompletionStream stream, String text, long nanos) {
        if (recording) {
            chunks.increment();
            arrivals.add(new long[] {stream.keyOfNextChunk(), nanos / 1_000 + wallOffsetMicros});
        }
    }
}
