package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.Promtool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dashboard's worker panels read what an operator of the production overlay (two directors, three workers) has:
 * every director reports {@code connection_swap_workers} for the same fleet, so a panel that adds the directors'
 * gauges counts each worker once per director. Evaluated with the real {@code promtool} ({@code promql_expr_test})
 * on the dashboard's own queries, variables set to "All"; skipped without promtool, as {@link AlertRulesTest}.
 */
class DashboardWorkerCountTest {

    private static final Path ROOT = ProcessCluster.repositoryRoot();
    private static final Path DASHBOARD = ROOT.resolve("monitoring/grafana/dashboards/connection-swap.json");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    void twoDirectorsSeeingThreeHealthyWorkersShowThreeHealthyWorkers() throws IOException {
        JsonNode dashboard = JSON.readTree(Files.readString(DASHBOARD));
        StringBuilder tests = new StringBuilder("""
                rule_files: []
                evaluation_interval: 15s
                tests:
                  - interval: 15s
                    input_series:
                """);
        // the production overlay: two director replicas, each seeing the same 3 healthy and 1 draining worker
        for (String director : List.of("10.0.0.1:8080", "10.0.0.2:8080")) {
            for (String state : List.of("healthy", "unhealthy")) {
                tests.append("      - series: ").append(JSON.writeValueAsString("connection_swap_workers{state=\""
                        + state + "\",application=\"director-service\",job=\"connection-swap-director\",instance=\""
                        + director + "\",namespace=\"connection-swap\"}")).append('\n')
                        .append("        values: '").append(state.equals("healthy") ? 3 : 1).append("x40'\n");
            }
        }
        tests.append("    promql_expr_test:\n");
        expect(tests, query(dashboard, "Healthy workers", 0), "{}", 3);
        expect(tests, query(dashboard, "Unhealthy workers", 0), "{}", 1);
        expect(tests, query(dashboard, "Workers by state", 0), "{state=\"healthy\"}", 3, "{state=\"unhealthy\"}", 1);
        Path file = dir.resolve("workers.test.yml");
        Files.writeString(file, tests.toString());

        Promtool.Result result = Promtool.run(DashboardWorkerCountTest.class, "test", "rules", file.toString());
        assertThat(result.exitCode())
                .as("the dashboard's worker panels with 2 directors each seeing 3 healthy and 1 unhealthy worker; "
                        + "promtool output:%n%s", result.output())
                .isZero();
    }

    /** A {@code promql_expr_test} of {@code expr}: {@code samples} are labels and value, in turn. */
    private static void expect(StringBuilder tests, String expr, Object... samples) {
        tests.append("      - expr: ").append(JSON.writeValueAsString(expr)).append('\n')
                .append("        eval_time: 5m\n")
                .append("        exp_samples:\n");
        for (int i = 0; i < samples.length; i += 2) {
            tests.append("          - labels: '").append(samples[i]).append("'\n")
                    .append("            value: ").append(samples[i + 1]).append('\n');
        }
    }

    /** The {@code index}th query of the panel titled {@code title}, its variables as "All" (Grafana's {@code .*}). */
    private static String query(JsonNode dashboard, String title, int index) {
        List<JsonNode> panels = new ArrayList<>();
        collect(dashboard.path("panels"), panels);
        JsonNode panel = panels.stream().filter(p -> title.equals(p.path("title").asString())).findFirst()
                .orElseThrow(() -> new AssertionError("no panel titled " + title));
        return panel.path("targets").get(index).path("expr").asString()
                .replace("$namespace", ".*").replace("$job", ".*").replace("$instance", ".*")
                .replace("$__rate_interval", "1m").replace("$__range", "5m");
    }

    private static void collect(JsonNode panels, List<JsonNode> into) {
        for (JsonNode panel : panels) {
            into.add(panel);
            collect(panel.path("panels"), into);
        }
    }
}
