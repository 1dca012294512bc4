package io.connectionswap.deploy.k8s;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a JVM with these flags may use at most, area by area, against its container's memory limit:
 *
 * <pre>
 * heap (-Xmx, or -XX:MaxRAMPercentage of the limit)
 * + direct buffers (-XX:MaxDirectMemorySize; without it: as much as the heap)
 *   + Netty's own budget unless -Dio.netty.maxDirectMemory=0 (Netty then allocates through the JDK's counter;
 *     otherwise it may keep a second budget, as large as the JDK's or the value given)
 * + metaspace (-XX:MaxMetaspaceSize; without it: unbounded)
 * + JIT code cache (-XX:ReservedCodeCacheSize; default 240 MiB)
 * + threads x stack (-Xss; default 1 MiB)
 * + JVM internals and native libraries (no flag caps them: an estimate)
 * </pre>
 *
 * Threads and internals are estimates, measured with {@code -XX:NativeMemoryTracking=summary} on the three
 * services under load (2 000 tokens/s, SerialGC, which the JVM picks below 1792 MiB or 2 CPUs): 20 to 27 threads
 * per process; GC, symbols, class-data sharing, arenas and the rest 35 MiB, plus what NMT cannot see (the QUIC
 * library's and glibc's own allocations). {@link #THREADS} and {@link #INTERNALS} leave room above that.
 */
record JvmMemoryBudget(long limit, long heap, long direct, long nettyDirect, long metaspace, long codeCache,
                       long threadStacks, long internals) {

    static final long MIB = 1024 * 1024;
    /** Threads per service, an upper estimate (Tomcat pools are capped at 16; the event loops follow the CPUs). */
    static final int THREADS = 48;
    static final long INTERNALS = 64 * MIB;

    private static final Pattern SIZE = Pattern.compile("([0-9]+)([kKmMgGtT]?)");

    /** Parses the flags a JVM gets (JAVA_TOOL_OPTIONS) for a container with this memory limit. */
    static JvmMemoryBudget of(String flags, long limit) {
        String heap = null;
        Double ramPercentage = null;
        String direct = null;
        String netty = null;
        String metaspace = null;
        String codeCache = null;
        String stack = null;
        for (String flag : flags.trim().split("\\s+")) {
            if (flag.startsWith("-Xmx")) {
                heap = flag.substring(4);
            } else if (flag.startsWith("-XX:MaxHeapSize=")) {
                heap = value(flag);
            } else if (flag.startsWith("-XX:MaxRAMPercentage=")) {
                ramPercentage = Double.parseDouble(value(flag));
            } else if (flag.startsWith("-XX:MaxDirectMemorySize=")) {
                direct = value(flag);
            } else if (flag.startsWith("-Dio.netty.maxDirectMemory=")) {
                netty = value(flag);
            } else if (flag.startsWith("-XX:MaxMetaspaceSize=")) {
                metaspace = value(flag);
            } else if (flag.startsWith("-XX:ReservedCodeCacheSize=")) {
                codeCache = value(flag);
            } else if (flag.startsWith("-Xss")) {
                stack = flag.substring(4);
            }
        }
        long heapBytes = heap != null ? bytes(heap)
                : (long) (limit * (ramPercentage != null ? ramPercentage : 25.0) / 100);
        long directBytes = direct != null ? bytes(direct) : heapBytes;
        long nettyBytes;
        if (netty == null || Long.parseLong(netty) < 0) {
            nettyBytes = directBytes;            // Netty's default: a budget of its own, as large as the JDK's
        } else {
            nettyBytes = Long.parseLong(netty);  // 0: none of its own (it counts against the JDK's)
        }
        long metaspaceBytes = metaspace != null ? bytes(metaspace) : Long.MAX_VALUE / 8;
        long codeBytes = codeCache != null ? bytes(codeCache) : 240 * MIB;
        long stackBytes = stack != null ? bytes(stack) : MIB;
        return new JvmMemoryBudget(limit, heapBytes, directBytes, nettyBytes, metaspaceBytes, codeBytes,
                THREADS * stackBytes, INTERNALS);
    }

    long total() {
        return heap + direct + nettyDirect + metaspace + codeCache + threadStacks + internals;
    }

    boolean fits() {
        return total() <= limit;
    }

    /** What is not capped by a flag at all. */
    List<String> unbounded() {
        List<String> missing = new ArrayList<>();
        if (metaspace >= Long.MAX_VALUE / 8) {
            missing.add("metaspace (-XX:MaxMetaspaceSize)");
        }
        return missing;
    }

    /** {@code heap 512 + direct 128 + ... = 944 MiB of 1024 MiB}. */
    String describe() {
        return String.format(Locale.ROOT, "heap %s + direct %s + netty's own direct %s + metaspace %s + code cache %s"
                        + " + %d threads' stacks %s + JVM internals %s = %s MiB of a %s MiB limit",
                mib(heap), mib(direct), mib(nettyDirect), metaspace >= Long.MAX_VALUE / 8 ? "unbounded"
                        : mib(metaspace), mib(codeCache), THREADS, mib(threadStacks), mib(internals),
                metaspace >= Long.MAX_VALUE / 8 ? "unbounded" : mib(total()), mib(limit));
    }

    /** JVM size syntax: {@code 512m}, {@code 1g}, {@code 65536k}, bytes without a unit. */
    static long bytes(String size) {
        Matcher m = SIZE.matcher(size);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a JVM size: '" + size + "' (expected e.g. 512m)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n * 1024;
            case "m" -> n * MIB;
            case "g" -> n * 1024 * MIB;
            case "t" -> n * 1024 * 1024 * MIB;
            default -> n;
        };
    }

    private static String value(String flag) {
        return flag.substring(flag.indexOf('=') + 1);
    }

    private static String mib(long bytes) {
        double value = bytes / (double) MIB;
        return value == Math.rint(value) ? String.valueOf((long) value)
                : String.format(Locale.ROOT, "%.1f", value);
    }
}
