package io.connectionswap.testsupport.process;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The output of {@code jcmd <pid> GC.class_histogram} (see {@link Jcmd}), read once: live instances and bytes per
 * class and the live heap in all. The command runs a full GC first, so every count is of live objects.
 *
 * <pre>
 *  num     #instances         #bytes  class name (module)
 * -------------------------------------------------------
 *    1:         12345         678901  [B (java.base@17.0.15)
 *  ...
 * Total        123456       12345678
 * </pre>
 */
public final class ClassHistogram {

    private final Map<String, long[]> byClass;
    private final long liveBytes;

    private ClassHistogram(Map<String, long[]> byClass, long liveBytes) {
        this.byClass = Collections.unmodifiableMap(byClass);
        this.liveBytes = liveBytes;
    }

    /** Reads a class histogram; rows it cannot read are skipped. */
    public static ClassHistogram parse(String histogram) {
        Map<String, long[]> byClass = new LinkedHashMap<>();
        long total = -1;
        for (String line : histogram.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            try {
                if (fields.length >= 4 && fields[0].endsWith(":")) {
                    byClass.put(fields[3], new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])});
                } else if (fields.length == 3 && fields[0].equals("Total")) {
                    total = Long.parseLong(fields[2]);
                }
            } catch (NumberFormatException e) {
                // not a row of the table
            }
        }
        return new ClassHistogram(byClass, total);
    }

    /** Live instances of {@code className} (0 when none is alive). */
    public long instances(String className) {
        long[] row = byClass.get(className);
        return row == null ? 0 : row[0];
    }

    /** The live heap in bytes (the {@code Total} row), or -1 when the output has none. */
    public long liveBytes() {
        return liveBytes;
    }

    /** Class name → {instances, bytes}, in the histogram's order (largest first). */
    public Map<String, long[]> byClass() {
        return byClass;
    }
}
