package io.connectionswap.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The Prometheus text format parsed into samples; {@link Metrics} names the series the bench reads. */
final class Prometheus {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    private Prometheus(List<Sample> samples) {
        this.samples = samples;
    }

    static Prometheus parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                continue;
            }
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                String body = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String pair : body.split(",(?=[a-zA-Z_]+=\")")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.length() >= eq + 2) {
                        labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                    }
                }
            } else {
                name = line.substring(0, space);
            }
            try {
                samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
            } catch (NumberFormatException e) {
                // a value we do not read (NaN spelled differently, exemplars): skip the line
            }
        }
        return new Prometheus(samples);
    }

    double sum(String name, Predicate<Map<String, String>> filter) {
        double total = 0;
        for (Sample sample : samples) {
            if (sample.name().equals(name) && filter.test(sample.labels())) {
                total += sample.value();
            }
        }
        return total;
    }

    double sum(String name) {
        return sum(name, labels -> true);
    }

    double sum(String name, String label, String value) {
        return sum(name, labels -> value.equals(labels.get(label)));
    }

    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }
}
