package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.ReadmeMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The monitoring files agree with the series the code exports and with each other, without any tool: every series
 * the alert rules and the dashboard name is in the README's metrics table, no name is left outside the
 * {@code connection_swap_} namespace, every rule has a runbook, and the dashboard is portable (the
 * {@code datasource} variable, never a datasource uid) and filtered by its {@code namespace}, {@code job} and
 * {@code instance} variables, with rates over {@code $__rate_interval}. {@code PrometheusScrapeIT} checks the
 * other direction (every series the processes export is in the table) and runs the dashboard's queries.
 */
class MonitoringFilesTest {

    private static final Path ROOT = ProcessCluster.repositoryRoot();
    private static final Path ALERTS = ROOT.resolve("monitoring/prometheus/alerts.yml");
    private static final Path DASHBOARD = ROOT.resolve("monitoring/grafana/dashboards/connection-swap.json");
    private static final Pattern SERIES = Pattern.compile("connection_swap_[a-z0-9_]+");
    /** A name of the old namespace: {@code swap_} not part of a longer word ({@code connection_swap_}, a JSON key). */
    private static final Pattern OLD_NAME = Pattern.compile("(?<![\\w.])swap_[a-z]");
    private static final Set<String> FILTERS = Set.of("namespace=~\"$namespace\"", "job=~\"$job\"",
            "instance=~\"$instance\"");

    @Test
    void everySeriesTheRulesAndTheDashboardNameIsInTheMetricsTable() throws IOException {
        ReadmeMetrics table = ReadmeMetrics.read();
        assertThat(table.kinds()).as("README metrics table").hasSizeGreaterThan(20);
        Map<String, Set<String>> unknown = new LinkedHashMap<>();
        for (Path file : List.of(ALERTS, DASHBOARD, ROOT.resolve("monitoring/prometheus/alerts.test.yml"))) {
            Matcher m = SERIES.matcher(Files.readString(file));
            while (m.find()) {
                if (!table.documents(m.group())) {
                    unknown.computeIfAbsent(ROOT.relativize(file).toString(), f -> new TreeSet<>()).add(m.group());
                }
            }
        }
        assertThat(unknown).as("series named in the monitoring files but not in README.md, section Metrics").isEmpty();
    }

    @Test
    void noSeriesIsLeftOutsideTheNamespace() throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> monitoring = Files.walk(ROOT.resolve("monitoring"));
             Stream<Path> optional = Files.walk(ROOT.resolve("k8s/optional"))) {
            files = Stream.concat(monitoring, optional).filter(Files::isRegularFile)
                    .filter(file -> !file.getFileName().toString().startsWith("local-workers")).toList();
        }
        for (Path file : files) {
            String[] lines = Files.readString(file).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (OLD_NAME.matcher(lines[i]).find()) {
                    found.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        // the README names old series only in its migration note
        String[] readme = Files.readString(ROOT.resolve("README.md")).split("\n", -1);
        boolean inNote = false;
        for (int i = 0; i < readme.length; i++) {
            if (readme[i].startsWith("**Renamed series.**")) {
                inNote = true;
            } else if (readme[i].startsWith("#")) {
                inNote = false;
            }
            if (!inNote && OLD_NAME.matcher(readme[i]).find()) {
                found.add("README.md:" + (i + 1) + ": " + readme[i].strip());
            }
        }
        assertThat(found).as("old swap_* names (the namespace is connection_swap_)").isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyRuleHasASeverityAndARunbook() throws IOException {
        Map<String, Object> rules = new Yaml().load(Files.readString(ALERTS));
        List<String> alerts = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                String name = (String) rule.get("alert");
                alerts.add(name);
                Map<String, String> labels = (Map<String, String>) rule.get("labels");
                Map<String, String> annotations = (Map<String, String>) rule.get("annotations");
                assertThat(labels).as("%s labels", name).containsKey("severity");
                assertThat(labels.get("severity")).as("%s severity", name).isIn("critical", "warning");
                assertThat(annotations).as("%s annotations", name).containsKeys("summary", "description", "runbook");
                assertThat(annotations.get("runbook")).as("%s runbook", name).isNotBlank();
            }
        }
        assertThat(alerts).contains("SwapTargetDown", "SwapTaskFailing", "SwapDirectorAtCapacity", "SwapLimitHitsHigh",
                "SwapMigrationLimitReached", "SwapGenerationErrorsHigh", "SwapCertificateExpiring", "SwapLogLinesDropped");
    }

    @Test
    void theDashboardIsPortableAndFilteredByItsVariables() throws IOException {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
        Map<String, String> variables = new LinkedHashMap<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            variables.put(variable.path("name").asString(), variable.path("type").asString());
        }
        assertThat(variables).containsEntry("datasource", "datasource").containsEntry("namespace", "query")
                .containsEntry("job", "query").containsEntry("instance", "query");
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asString().equals("datasource")) {
                assertThat(variable.path("query").asString()).isEqualTo("prometheus");
            } else {
                assertThat(variable.path("datasource").path("uid").asString()).as(variable.path("name").asString())
                        .isEqualTo("${datasource}");
                assertThat(variable.path("allValue").asString()).as("%s: All matches series without the label",
                        variable.path("name").asString()).isEqualTo(".*");
            }
        }

        List<String> problems = new ArrayList<>();
        int queries = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asString();
            if (panel.path("type").asString().equals("row")) {
                continue;
            }
            if (!panel.path("datasource").path("uid").asString().equals("${datasource}")) {
                problems.add(title + ": panel datasource " + panel.path("datasource"));
            }
            for (JsonNode target : panel.path("targets")) {
                queries++;
                String expr = target.path("expr").asString();
                if (!target.path("datasource").path("uid").asString().equals("${datasource}")) {
                    problems.add(title + ": query datasource " + target.path("datasource"));
                }
                problems.addAll(selectorProblems(title, expr));
                Matcher window = Pattern.compile("\\[([^]]+)]").matcher(expr);
                while (window.find()) {
                    if (!Set.of("$__rate_interval", "$__range").contains(window.group(1))) {
                        problems.add(title + ": window [" + window.group(1) + "] in " + expr);
                    }
                }
            }
        }
        assertThat(queries).as("queries on the dashboard").isGreaterThan(30);
        assertThat(problems).as("dashboard panels").isEmpty();
        // no datasource uid anywhere but the variable and Grafana's built-in annotation source
        Matcher uid = Pattern.compile("\"uid\"\\s*:\\s*\"([^\"]*)\"").matcher(Files.readString(DASHBOARD));
        Set<String> uids = new TreeSet<>();
        while (uid.find()) {
            uids.add(uid.group(1));
        }
        assertThat(uids).containsOnly("${datasource}", "-- Grafana --", "connection-swap");
    }

    @Test
    void theDashboardShowsTheServiceLevelSeries() throws IOException {
        String dashboard = Files.readString(DASHBOARD);
        assertThat(dashboard).contains("connection_swap_streams_started_total",
                "connection_swap_time_to_first_token_seconds_bucket",
                "connection_swap_client_time_to_first_token_seconds_bucket",
                "connection_swap_generations_total", "connection_swap_migration_limit_total",
                "connection_swap_task_failures_total", "connection_swap_limit_hits_total");
    }

    /** Every metric selector of {@code expr} carries the three variable filters. */
    private static List<String> selectorProblems(String title, String expr) {
        List<String> problems = new ArrayList<>();
        Matcher metric = Pattern.compile("\\b(connection_swap_[a-z0-9_]+|netty_[a-z_]+|jvm_[a-z_]+)(\\{([^}]*)})?")
                .matcher(expr);
        while (metric.find()) {
            String matchers = metric.group(3);
            if (matchers == null || !FILTERS.stream().allMatch(matchers::contains)) {
                problems.add(title + ": " + metric.group() + " lacks the namespace/job/instance filters in " + expr);
            }
        }
        return problems;
    }
}
