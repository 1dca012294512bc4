package io.connectionswap.testsupport.prometheus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * One scrape in the Prometheus text exposition format ({@code /actuator/prometheus}) as samples, and the sums the
 * tests and the bench read from it. The one reader of the format for system-tests, deploy-tests and the bench.
 *
 * <p>What it reads: {@code # HELP}, {@code # TYPE} and other comment lines are skipped; a sample line is a metric name,
 * optional labels ({@code {le="0.5",reason="stall"}}, values with the escapes {@code \\}, {@code \"} and {@code \n},
 * commas, spaces and braces inside quotes, an optional trailing comma), then its value ({@code 12}, {@code 1.5E-4},
 * {@code NaN}, {@code +Inf}, {@code -Inf}). A timestamp or an OpenMetrics exemplar ({@code # {trace_id="..."} 1.0})
 * after the value is ignored. A histogram is its {@code _bucket}, {@code _count} and {@code _sum} samples, the buckets
 * told apart by their {@code le} label. A line that is none of these fails the parse with its line number.
 */
public final class PrometheusText {

    /** One sample line: metric name, labels in the order written (unescaped), value. */
    public record Sample(String name, Map<String, String> labels, double value) {

        public Sample {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("name: " + name + " (expected: a metric name)");
            }
            labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }
    }

    private final List<Sample> samples;

    private PrometheusText(List<Sample> samples) {
        this.samples = List.copyOf(samples);
    }

    /**
     * Parses a whole scrape.
     *
     * @throws IllegalArgumentException for a line that is neither blank, a comment nor a sample (the message names the
     *     line number and the line)
     */
    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                samples.add(new SampleLine(line).read());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + " of the scrape: " + e.getMessage() + ": " + line, e);
            }
        }
        return new PrometheusText(samples);
    }

    /** Sum of every sample of {@code name} whose labels pass {@code filter}; 0 when there is none. */
    public double sum(String name, Predicate<Map<String, String>> filter) {
        double total = 0;
        for (Sample sample : samples) {
            if (sample.name().equals(name) && filter.test(sample.labels())) {
                total += sample.value();
            }
        }
        return total;
    }

    /** Sum of every sample of {@code name}, all label combinations; 0 when there is none. */
    public double sum(String name) {
        return sum(name, labels -> true);
    }

    /** Sum of the samples of {@code name} whose {@code label} is {@code value}; 0 when there is none. */
    public double sum(String name, String label, String value) {
        return sum(name, labels -> value.equals(labels.get(label)));
    }

    /**
     * Like {@link #sum(String)}, but a metric that is not exposed at all is an error rather than 0.
     *
     * @throws IllegalStateException when no sample is named {@code name}
     */
    public double requireSum(String name) {
        if (!has(name)) {
            throw new IllegalStateException("metric " + name + " is not exposed");
        }
        return sum(name);
    }

    /** {@link #requireSum(String)} of a counter or gauge that holds whole numbers, as a {@code long}. */
    public long requireCount(String name) {
        return (long) requireSum(name);
    }

    public boolean has(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }

    /** The name of every sample, once each, sorted. */
    public Set<String> names() {
        return samples.stream().map(Sample::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The samples of {@code name} in the order of the scrape. */
    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** Every sample in the order of the scrape. */
    public List<Sample> samples() {
        return samples;
    }

    /**
     * A sample value as the text format and Prometheus's HTTP API write it: a decimal or scientific number,
     * {@code NaN}, {@code +Inf} (or {@code Inf}) or {@code -Inf}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static double parseValue(String token) {
        return switch (token) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> number(token);
        };
    }

    private static double number(String token) {
        if (token.isEmpty()) {
            throw new IllegalArgumentException("no value");
        }
        try {
            return Double.parseDouble(token);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value '" + token + "' is not a number", e);
        }
    }

    /** Reads one sample line from left to right. */
    private static final class SampleLine {

        private final String line;
        private int at;

        SampleLine(String line) {
            this.line = line;
        }

        Sample read() {
            int start = at;
            while (at < line.length() && line.charAt(at) != '{' && !blank(line.charAt(at))) {
                at++;
            }
            String name = line.substring(start, at);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("no metric name");
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (at < line.length() && line.charAt(at) == '{') {
                at++;
                readLabels(labels);
            }
            skipBlanks();
            start = at;
            while (at < line.length() && !blank(line.charAt(at))) {
                at++;
            }
            // what follows the value (a timestamp, an exemplar) is not read
            return new Sample(name, labels, parseValue(line.substring(start, at)));
        }

        private void readLabels(Map<String, String> labels) {
            while (true) {
                skipBlanks();
                if (next() == '}') {
                    at++;
                    return;
                }
                int start = at;
                while (at < line.length() && line.charAt(at) != '=' && !blank(line.charAt(at))) {
                    at++;
                }
                String label = line.substring(start, at);
                skipBlanks();
                expect('=', "after label " + label);
                skipBlanks();
                expect('"', "to open the value of label " + label);
                labels.put(label, quoted(label));
                skipBlanks();
                if (next() == ',') {
                    at++;
                } else if (next() != '}') {
                    throw new IllegalArgumentException("expected ',' or '}' after label " + label + " at column " + (at + 1));
                }
            }
        }

        /** The rest of a quoted label value, unescaped, up to and with its closing quote. */
        private String quoted(String label) {
            StringBuilder value = new StringBuilder();
            while (at < line.length()) {
                char c = line.charAt(at++);
                if (c == '"') {
                    return value.toString();
                }
                if (c == '\\' && at < line.length()) {
                    char escaped = line.charAt(at++);
                    switch (escaped) {
                        case '\\' -> value.append('\\');
                        case '"' -> value.append('"');
                        case 'n' -> value.append('\n');
                        default -> value.append('\\').append(escaped);
                    }
                } else {
                    value.append(c);
                }
            }
            throw new IllegalArgumentException("the value of label " + label + " has no closing quote");
        }

        private char next() {
            if (at >= line.length()) {
                throw new IllegalArgumentException("the labels have no closing '}'");
            }
            return line.charAt(at);
        }

        private void expect(char expected, String where) {
            if (at >= line.length() || line.charAt(at) != expected) {
                throw new IllegalArgumentException("expected '" + expected + "' " + where + " at column " + (at + 1));
            }
            at++;
        }

        private void skipBlanks() {
            while (at < line.length() && blank(line.charAt(at))) {
                at++;
            }
        }

        private static boolean blank(char c) {
            return c == ' ' || c == '\t';
        }
    }
}
