package io.connectionswap.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import io.connectionswap.testsupport.tools.ExternalTool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.RelabelConfig;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The optional monitoring components in {@code k8s/optional}: the dashboard ConfigMap and the PrometheusRule are the
 * very files of {@code monitoring/} (copied by {@code k8s/optional/sync-monitoring.sh}), and the alert
 * {@code SwapTargetDown} matches every job the ServiceMonitors create, evaluated by the real {@code promtool}.
 * The file checks need no tool; the rendered ones need kubectl 1.27+ (and promtool), and are skipped without
 * (failed under {@code CI=true}).
 */
class MonitoringManifestTest {

    private static final String NAMESPACE = "connection-swap";
    private static final Path DASHBOARD = Repository.resolve("monitoring/grafana/dashboards/connection-swap.json");
    private static final Path ALERTS = Repository.resolve("monitoring/prometheus/alerts.yml");
    private static final Path DASHBOARD_COPY = Repository.resolve("k8s/optional/grafana-dashboard/connection-swap.json");
    private static final Path RULE = Repository.resolve("k8s/optional/prometheusrule/prometheusrule.yaml");
    private static final String SYNC = "run k8s/optional/sync-monitoring.sh";

    // ---------------------------------------------------------------------------------------------------------
    // The copies are the sources (no tool needed)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void theDashboardComponentCarriesTheDashboardItself() throws IOException {
        assertThat(Files.readString(DASHBOARD_COPY)).as("%s is a copy of %s; %s", DASHBOARD_COPY, DASHBOARD, SYNC)
                .isEqualTo(Files.readString(DASHBOARD));
    }

    @Test
    void thePrometheusRuleHasExactlyTheRulesOfAlertsYml() throws IOException {
        JsonNode rule = single(StrictManifests.documents(Files.readString(RULE)));
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        assertThat(rule.path("spec")).as("spec of %s = %s; %s", RULE, ALERTS, SYNC).isEqualTo(alerts());
        StrictManifests.parse(rule); // and it fits the Operator's schema
    }

    // ---------------------------------------------------------------------------------------------------------
    // Rendered with kustomize, as an overlay uses the components
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void theComponentsRenderTheDashboardConfigMapAndTheRules() throws IOException {
        String rendered = renderWithComponents();
        List<HasMetadata> objects = StrictManifests.parse(rendered);

        ConfigMap dashboard = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(map -> map.getMetadata().getName().equals("connection-swap-dashboard"))
                .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap connection-swap-dashboard rendered"));
        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(dashboard.getMetadata().getLabels()).as("the Grafana sidecar's label")
                .containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getData()).containsOnlyKeys("connection-swap.json");
        assertThat(dashboard.getData().get("connection-swap.json")).as("the dashboard, byte for byte")
                .isEqualTo(Files.readString(DASHBOARD));

        List<PrometheusRule> rules = objects.stream().filter(PrometheusRule.class::isInstance)
                .map(PrometheusRule.class::cast).collect(Collectors.toList());
        assertThat(rules).hasSize(1);
        assertThat(rules.get(0).getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        JsonNode renderedRule = StrictManifests.documents(rendered).stream()
                .filter(doc -> doc.path("kind").asText().equals("PrometheusRule")).findFirst().orElseThrow();
        assertThat(renderedRule.path("spec")).as("rendered PrometheusRule spec = %s", ALERTS).isEqualTo(alerts());
    }

    @Test
    void swapTargetDownMatchesEveryJobTheServiceMonitorsCreate() throws IOException {
        List<HasMetadata> objects = StrictManifests.parse(renderWithComponents());
        List<ServiceMonitor> monitors = objects.stream().filter(ServiceMonitor.class::isInstance)
                .map(ServiceMonitor.class::cast).collect(Collectors.toList());
        assertThat(monitors).as("ServiceMonitors rendered").isNotEmpty();
        Map<String, String> jobByService = new LinkedHashMap<>();
        for (ServiceMonitor monitor : monitors) {
            for (Endpoint endpoint : monitor.getSpec().getEndpoints()) {
                for (Service service : objects.stream().filter(Service.class::isInstance).map(Service.class::cast)
                        .collect(Collectors.toList())) {
                    // the Operator keeps only the Service ports named as the endpoint's port; none: no target
                    boolean hasPort = service.getSpec().getPorts().stream()
                            .anyMatch(p -> Objects.equals(p.getName(), endpoint.getPort()));
                    if (selects(monitor, service) && hasPort) {
                        String previous = jobByService.put(service.getMetadata().getName(),
                                jobOf(service, monitor.getSpec().getJobLabel(), endpoint.getRelabelings()));
                        assertThat(previous).as("Service %s is scraped once (again by ServiceMonitor %s, port %s)",
                                service.getMetadata().getName(), monitor.getMetadata().getName(),
                                endpoint.getPort()).isNull();
                    }
                }
            }
        }
        // the jobs of the compose and local configs, which the rules' runbooks and the dashboard name
        assertThat(jobByService).as("job of each Service the ServiceMonitors scrape")
                .containsExactlyInAnyOrderEntriesOf(Map.of("director", "connection-swap-director",
                        "worker-headless", "connection-swap-workers", "client", "connection-swap-client"));

        // promtool evaluates the rule itself: a target of each job down for 2 minutes fires SwapTargetDown
        Path promtool = ExternalTool.PROMTOOL.require(MonitoringManifestTest.class);
        Path dir = Repository.buildDirectory("servicemonitor-jobs");
        Path test = dir.resolve("target-down.test.yml");
        Files.writeString(test, targetDownTest(new TreeSet<>(jobByService.values())));
        Command.Result result = Command.of(promtool.toString(), "test", "rules", test.toString())
                .timeout(Duration.ofMinutes(2)).run();
        assertThat(result.exitCode()).as("promtool: SwapTargetDown for the ServiceMonitors' jobs; %s (%s)",
                result.describe(), test).isZero();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    /** k8s/ with the three optional components, as an overlay that uses them renders it. */
    private static String renderWithComponents() throws IOException {
        Kustomize.requireTools(MonitoringManifestTest.class, false);
        Path overlay = Repository.buildDirectory("k8s-overlay-monitoring");
        Path k8s = overlay.relativize(Repository.resolve("k8s"));
        Files.writeString(overlay.resolve("kustomization.yaml"), String.join("\n",
                "apiVersion: kustomize.config.k8s.io/v1beta1",
                "kind: Kustomization",
                "resources: [" + k8s.resolve("overlays/production") + "]",
                "components:",
                "  - " + k8s.resolve("optional/servicemonitor"),
                "  - " + k8s.resolve("optional/prometheusrule"),
                "  - " + k8s.resolve("optional/grafana-dashboard"),
                ""));
        return Kustomize.render(overlay);
    }

    private static JsonNode alerts() throws IOException {
        return StrictManifests.mapper().readTree(Files.readString(ALERTS));
    }

    private static JsonNode single(List<JsonNode> documents) {
        assertThat(documents).hasSize(1);
        return documents.get(0);
    }

    private static boolean selects(ServiceMonitor monitor, Service service) {
        return Manifests.selects(monitor.getSpec().getSelector(), service.getMetadata().getLabels());
    }

    /**
     * The {@code job} label Prometheus gives a target of {@code service}: as the Prometheus Operator generates the
     * scrape config (the Service's name, or the value of its {@code jobLabel} label), then the endpoint's
     * relabelings, applied as Prometheus applies {@code replace} rules (the only action used here).
     */
    static String jobOf(Service service, String jobLabel, List<RelabelConfig> relabelings) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("__meta_kubernetes_namespace", service.getMetadata().getNamespace());
        labels.put("__meta_kubernetes_service_name", service.getMetadata().getName());
        Map<String, String> serviceLabels = service.getMetadata().getLabels() == null ? Map.of()
                : service.getMetadata().getLabels();
        serviceLabels.forEach((name, value) ->
                labels.put("__meta_kubernetes_service_label_" + name.replaceAll("[^a-zA-Z0-9_]", "_"), value));
        labels.put("job", jobLabel != null && serviceLabels.containsKey(jobLabel) ? serviceLabels.get(jobLabel)
                : service.getMetadata().getName());
        for (RelabelConfig rule : relabelings == null ? List.<RelabelConfig>of() : relabelings) {
            String action = rule.getAction() == null ? "replace" : rule.getAction().toLowerCase(java.util.Locale.ROOT);
            assertThat(action).as("relabel action these checks model").isEqualTo("replace");
            String separator = rule.getSeparator() == null ? ";" : rule.getSeparator();
            String value = (rule.getSourceLabels() == null ? List.<String>of() : rule.getSourceLabels()).stream()
                    .map(name -> labels.getOrDefault(name, "")).collect(Collectors.joining(separator));
            Matcher matcher = Pattern.compile("^(?:" + (rule.getRegex() == null ? "(.*)" : rule.getRegex()) + ")$")
                    .matcher(value);
            if (!matcher.matches()) {
                continue;
            }
            String result = expand(rule.getReplacement() == null ? "$1" : rule.getReplacement(), matcher);
            if (result.isEmpty()) {
                labels.remove(rule.getTargetLabel());
            } else {
                labels.put(rule.getTargetLabel(), result);
            }
        }
        return labels.get("job");
    }

    /** {@code $1} and {@code ${1}} in a replacement, as Prometheus expands them. */
    private static String expand(String replacement, Matcher matcher) {
        Matcher group = Pattern.compile("\\$(?:\\{(\\d+)}|(\\d+))").matcher(replacement);
        StringBuilder out = new StringBuilder();
        while (group.find()) {
            int index = Integer.parseInt(group.group(1) != null ? group.group(1) : group.group(2));
            String value = index <= matcher.groupCount() && matcher.group(index) != null ? matcher.group(index) : "";
            group.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        group.appendTail(out);
        return out.toString();
    }

    /**
     * A promtool test: one target of each job down from the start; SwapTargetDown must fire for each, with the
     * annotations alerts.yml renders for it.
     */
    private static String targetDownTest(Iterable<String> jobs) throws IOException {
        JsonNode rule = null;
        for (JsonNode group : alerts().path("groups")) {
            for (JsonNode candidate : group.path("rules")) {
                if ("SwapTargetDown".equals(candidate.path("alert").asText())) {
                    rule = candidate;
                }
            }
        }
        assertThat(rule).as("SwapTargetDown in %s", ALERTS).isNotNull();
        StringBuilder series = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        int n = 0;
        for (String job : jobs) {
            String instance = "10.0.0." + (++n) + ":8080";
            series.append("      - series: 'up{job=\"").append(job).append("\",instance=\"").append(instance)
                    .append("\"}'\n        values: '0x40'\n");
            expected.append("          - exp_labels:\n")
                    .append("              severity: ").append(rule.path("labels").path("severity").asText()).append('\n')
                    .append("              job: ").append(job).append('\n')
                    .append("              instance: \"").append(instance).append("\"\n")
                    .append("            exp_annotations:\n");
            Map<String, String> labels = Map.of("job", job, "instance", instance);
            rule.path("annotations").properties().forEach(annotation -> expected.append("              ")
                    .append(annotation.getKey()).append(": ")
                    .append(quote(render(annotation.getValue().asText(), labels))).append('\n'));
        }
        return "rule_files:\n  - " + quote(ALERTS.toString()) + "\n"
                + "evaluation_interval: 5s\n"
                + "tests:\n"
                + "  - interval: 5s\n"
                + "    input_series:\n" + series
                + "    alert_rule_test:\n"
                + "      - eval_time: 2m\n"
                + "        alertname: SwapTargetDown\n"
                + "        exp_alerts:\n" + expected;
    }

    /** An annotation template with {@code {{ $labels.x }}} filled in (the only template SwapTargetDown uses). */
    private static String render(String template, Map<String, String> labels) {
        Matcher m = Pattern.compile("\\{\\{\\s*\\$labels\\.(\\w+)\\s*}}").matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(labels.getOrDefault(m.group(1), "")));
        }
        m.appendTail(out);
        assertThat(out.toString()).as("SwapTargetDown annotations use only $labels").doesNotContain("{{");
        return out.toString();
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
