package io.connectionswap.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording as text (JDK 17's {@code jfr} tool has no {@code view}): CPU samples by thread, by
 * hottest method, and by the first frame of our code ({@code io.connectionswap.*}) on the stack; allocation by
 * class and by our allocation site; monitor contention and parking; GC pauses.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.connectionswap.bench.JfrHotspots FILE.jfr</pre>
 */
public final class JfrHotspots {

    private static final String OURS = "io.connectionswap.";

    private JfrHotspots() {
    }

    public static void main(String[] args) throws IOException {
        for (String file : args) {
            System.out.println(analyze(Path.of(file), 25));
        }
    }

    static String analyze(Path file, int top) throws IOException {
        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> selfMethod = new HashMap<>();
        Map<String, Long> firstOurs = new HashMap<>();
        Map<String, Long> inclusiveOurs = new HashMap<>();
        Map<String, Long> allocByClass = new HashMap<>();
        Map<String, Long> allocByOurSite = new HashMap<>();
        Map<String, Long> allocByTopFrame = new HashMap<>();
        Map<String, Long> monitorNanos = new HashMap<>();
        Map<String, Long> parkNanos = new HashMap<>();
        Map<String, Long> nativeTop = new HashMap<>();
        long cpuSamples = 0;
        long ourSamples = 0;
        long allocTotal = 0;
        long gcCount = 0;
        long gcPauseNanos = 0;
        long gcLongest = 0;
        try (RecordingFile recording = new RecordingFile(file)) {
            while (recording.hasMoreEvents()) {
                RecordedEvent event = recording.readEvent();
                String type = event.getEventType().getName();
                switch (type) {
                    case "jdk.ExecutionSample" -> {
                        cpuSamples++;
                        RecordedThread thread = event.getThread("sampledThread");
                        byThread.merge(threadName(thread), 1L, Long::sum);
                        List<RecordedFrame> frames = frames(event.getStackTrace());
                        if (!frames.isEmpty()) {
                            selfMethod.merge(name(frames.get(0), false), 1L, Long::sum);
                        }
                        String first = firstOurs(frames);
                        if (first != null) {
                            ourSamples++;
                            firstOurs.merge(first, 1L, Long::sum);
                        }
                        Set<String> seen = new HashSet<>();
                        for (RecordedFrame frame : frames) {
                            if (isOurs(frame)) {
                                String method = name(frame, false);
                                if (seen.add(method)) {
                                    inclusiveOurs.merge(method, 1L, Long::sum);
                                }
                            }
                        }
                    }
                    case "jdk.NativeMethodSample" -> {
                        List<RecordedFrame> frames = frames(event.getStackTrace());
                        if (!frames.isEmpty()) {
                            nativeTop.merge(name(frames.get(0), false) + "  [" + threadName(event.getThread("sampledThread"))
                                    + "]", 1L, Long::sum);
                        }
                    }
                    case "jdk.ObjectAllocationSample" -> {
                        long weight = event.getLong("weight");
                        allocTotal += weight;
                        allocByClass.merge(event.getClass("objectClass").getName(), weight, Long::sum);
                        List<RecordedFrame> frames = frames(event.getStackTrace());
                        String site = firstOurs(frames);
                        allocByOurSite.merge(site == null ? "(no io.connectionswap frame)" : site, weight, Long::sum);
                        if (!frames.isEmpty()) {
                            allocByTopFrame.merge(name(frames.get(0), true), weight, Long::sum);
                        }
                    }
                    case "jdk.JavaMonitorEnter" -> {
                        String monitor = event.getClass("monitorClass") == null ? "?" : event.getClass("monitorClass").getName();
                        String site = firstOurs(frames(event.getStackTrace()));
                        monitorNanos.merge(monitor + " at " + (site == null ? "(library)" : site),
                                event.getDuration().toNanos(), Long::sum);
                    }
                    case "jdk.ThreadPark" -> {
                        List<RecordedFrame> frames = frames(event.getStackTrace());
                        String site = firstOurs(frames);
                        String thread = threadName(event.getThread());
                        parkNanos.merge((site == null ? frames.size() > 2 ? name(frames.get(2), false) : "?" : site)
                                + "  [" + thread + "]", event.getDuration().toNanos(), Long::sum);
                    }
                    case "jdk.GarbageCollection" -> {
                        gcCount++;
                        long pause = event.getDuration("sumOfPauses").toNanos();
                        gcPauseNanos += pause;
                        gcLongest = Math.max(gcLongest, event.getDuration("longestPause").toNanos());
                    }
                    default -> {
                    }
                }
            }
        }
        StringBuilder text = new StringBuilder();
        text.append("JFR hot spots of ").append(file).append('\n');
        text.append(String.format(Locale.ROOT, "CPU samples: %d, %d (%.0f%%) with io.connectionswap code on the stack%n",
                cpuSamples, ourSamples, cpuSamples == 0 ? 0.0 : 100.0 * ourSamples / cpuSamples));
        section(text, "CPU samples by thread", byThread, cpuSamples, top, false);
        section(text, "hottest methods (top frame, self time)", selfMethod, cpuSamples, top, false);
        section(text, "our code: first io.connectionswap frame from the top (what our code is doing or waiting on)",
                firstOurs, cpuSamples, top, false);
        section(text, "our code: inclusive (samples with the method anywhere on the stack)", inclusiveOurs, cpuSamples, top, false);
        text.append(String.format(Locale.ROOT, "%nallocation (sampled weight): %.1f MB in total%n", allocTotal / 1e6));
        section(text, "allocation by class", allocByClass, allocTotal, top, true);
        section(text, "allocation by first io.connectionswap frame (our allocation sites)", allocByOurSite, allocTotal, top, true);
        section(text, "allocation by top frame", allocByTopFrame, allocTotal, top, true);
        durations(text, "monitor contention (jdk.JavaMonitorEnter, >= threshold)", monitorNanos, top);
        durations(text, "parking (jdk.ThreadPark, >= threshold; idle pools included)", parkNanos, top);
        section(text, "native method samples (top frame; threads blocked or idle in native code)", nativeTop,
                nativeTop.values().stream().mapToLong(Long::longValue).sum(), 10, false);
        text.append(String.format(Locale.ROOT, "%nGC: %d collections, %.1f ms paused in total, longest %.1f ms%n", gcCount,
                gcPauseNanos / 1e6, gcLongest / 1e6));
        return text.toString();
    }

    private static void section(StringBuilder text, String title, Map<String, Long> counts, long total, int top, boolean bytes) {
        text.append('\n').append(title).append(":\n");
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(top)
                .forEach(e -> text.append(String.format(Locale.ROOT, "  %6.2f%%  %12s  %s%n",
                        total == 0 ? 0.0 : 100.0 * e.getValue() / total,
                        bytes ? String.format(Locale.ROOT, "%.1f MB", e.getValue() / 1e6) : e.getValue().toString(),
                        e.getKey())));
    }

    private static void durations(StringBuilder text, String title, Map<String, Long> nanos, int top) {
        text.append('\n').append(title).append(":\n");
        if (nanos.isEmpty()) {
            text.append("  (none)\n");
        }
        nanos.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(top)
                .forEach(e -> text.append(String.format(Locale.ROOT, "  %10.1f ms  %s%n", e.getValue() / 1e6, e.getKey())));
    }

    private static List<RecordedFrame> frames(RecordedStackTrace stack) {
        return stack == null ? List.of() : stack.getFrames();
    }

    private static boolean isOurs(RecordedFrame frame) {
        return frame.isJavaFrame() && frame.getMethod().getType().getName().startsWith(OURS)
                && !frame.getMethod().getType().getName().startsWith("io.connectionswap.bench.");
    }

    private static String firstOurs(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            if (isOurs(frame)) {
                return name(frame, true);
            }
        }
        return null;
    }

    private static String name(RecordedFrame frame, boolean line) {
        String type = frame.getMethod().getType().getName();
        String method = type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
        String shown = type.startsWith(OURS) ? type.substring(OURS.length()) + "." + frame.getMethod().getName()
                : abbreviate(type.substring(0, Math.max(0, type.lastIndexOf('.')))) + "." + method;
        return shown + (line && frame.getLineNumber() > 0 ? ":" + frame.getLineNumber() : "");
    }

    private static String abbreviate(String pkg) {
        StringBuilder out = new StringBuilder();
        for (String part : pkg.split("\\.")) {
            if (!part.isEmpty()) {
                if (out.length() > 0) {
                    out.append('.');
                }
                out.append(part.charAt(0));
            }
        }
        return out.toString();
    }

    private static String threadName(RecordedThread thread) {
        if (thread == null) {
            return "?";
        }
        String name = thread.getJavaName() != null ? thread.getJavaName() : thread.getOSName();
        return name == null ? "?" : name.replaceAll("-\\d+$", "-N");
    }
}
