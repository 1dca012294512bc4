package io.connectionswap.systemtest.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metrics table of the README (section "Metrics"): what operators are told each series is. */
public final class ReadmeMetrics {

    private static final Pattern NAME_CELL = Pattern.compile("^\\s*`(connection_swap_[a-z0-9_]+)`\\s*$");
    private static final Pattern HISTOGRAM_SUFFIX = Pattern.compile("(.+)_(bucket|count|sum|max)");

    private final Map<String, String> kinds;
    /** Series name to the roles of its rows ({@code director}, {@code worker}, {@code client}, {@code every role}). */
    private final Map<String, Set<String>> roles;

    private ReadmeMetrics(Map<String, String> kinds, Map<String, Set<String>> roles) {
        this.kinds = kinds;
        this.roles = roles;
    }

    /** Reads README.md's table under "### Metrics": series name to kind (counter, gauge, histogram). */
    public static ReadmeMetrics read() {
        Map<String, String> kinds = new LinkedHashMap<>();
        Map<String, Set<String>> roles = new LinkedHashMap<>();
        boolean inSection = false;
        try {
            for (String line : Files.readAllLines(ProcessCluster.repositoryRoot().resolve("README.md"))) {
                if (line.startsWith("### ")) {
                    inSection = line.equals("### Metrics");
                    continue;
                }
                if (inSection && line.startsWith("| ")) {
                    String[] cells = line.split("\\|");
                    Matcher name = cells.length > 3 ? NAME_CELL.matcher(cells[2]) : null;
                    if (name != null && name.matches()) {
                        kinds.put(name.group(1), cells[3].strip());
                        roles.computeIfAbsent(name.group(1), n -> new TreeSet<>()).add(cells[1].strip());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ReadmeMetrics(kinds, roles);
    }

    public Map<String, String> kinds() {
        return kinds;
    }

    /**
     * The sample names the table lists for {@code role} (its rows and those of "every role"): a counter or gauge
     * as listed, a histogram as its {@code _count} series.
     */
    public Set<String> samplesOf(String role) {
        Set<String> samples = new TreeSet<>();
        roles.forEach((name, rowRoles) -> {
            if (rowRoles.contains(role) || rowRoles.contains("every role")) {
                samples.add("histogram".equals(kinds.get(name)) ? name + "_count" : name);
            }
        });
        return samples;
    }

    /**
     * Whether {@code name} is a series of the table: a counter or gauge as listed, or a {@code _bucket},
     * {@code _count}, {@code _sum} or {@code _max} series of a histogram in it.
     */
    public boolean documents(String name) {
        if (kinds.containsKey(name)) {
            return true;
        }
        Matcher m = HISTOGRAM_SUFFIX.matcher(name);
        return m.matches() && "histogram".equals(kinds.get(m.group(1)));
    }
}
