package io.connectionswap.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Percentiles and rounding for the summary. */
final class Stats {

    private Stats() {
    }

    /** Nearest-rank percentile of exact samples (p in 0..100); NaN when there is none. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    /** p50/p90/p99/max/mean/min/n of exact samples, in the samples' unit, rounded to 0.1. */
    static Map<String, Object> summary(List<Double> samples) {
        double[] sorted = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", sorted.length);
        out.put("p50", round1(percentile(sorted, 50)));
        out.put("p90", round1(percentile(sorted, 90)));
        out.put("p99", round1(percentile(sorted, 99)));
        out.put("max", round1(sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]));
        out.put("min", round1(sorted.length == 0 ? Double.NaN : sorted[0]));
        out.put("mean", round1(Arrays.stream(sorted).average().orElse(Double.NaN)));
        return out;
    }

    /** p50/p90/p99/p99.9/max/mean/n of a histogram of nanoseconds, in {@code unitNanos} units. */
    static Map<String, Object> summary(Histogram nanos, double unitNanos) {
        Map<String, Object> out = new LinkedHashMap<>();
        long n = nanos.getTotalCount();
        out.put("n", n);
        out.put("p50", round1(n == 0 ? Double.NaN : nanos.getValueAtPercentile(50) / unitNanos));
        out.put("p90", round1(n == 0 ? Double.NaN : nanos.getValueAtPercentile(90) / unitNanos));
        out.put("p99", round1(n == 0 ? Double.NaN : nanos.getValueAtPercentile(99) / unitNanos));
        out.put("p999", round1(n == 0 ? Double.NaN : nanos.getValueAtPercentile(99.9) / unitNanos));
        out.put("max", round1(n == 0 ? Double.NaN : nanos.getMaxValue() / unitNanos));
        out.put("mean", round1(n == 0 ? Double.NaN : nanos.getMean() / unitNanos));
        return out;
    }

    static Object round1(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        return Math.round(value * 10) / 10.0;
    }

    static Object round3(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        return Math.round(value * 1000) / 1000.0;
    }

    static double num(Map<String, Object> summary, String key) {
        Object value = summary.get(key);
        return value instanceof Number number ? number.doubleValue() : Double.NaN;
    }
}
