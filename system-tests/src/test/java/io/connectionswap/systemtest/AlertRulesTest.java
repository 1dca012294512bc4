package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.Promtool;
import io.connectionswap.systemtest.support.Promtool.Result;
import io.connectionswap.testsupport.tools.ExternalTool;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and Prometheus configs in {@code monitoring/prometheus} are valid and their unit tests
 * ({@code alerts.test.yml}) pass, checked with the real {@code promtool}. Without promtool each test prints one
 * {@code MISSING TOOL: promtool} line and is skipped, or fails when {@code CI=true} ({@link ExternalTool}): run
 * {@code .ci/install-prometheus.sh}, or the README's test command {@code ./test.sh}.
 */
class AlertRulesTest {

    @Test
    void alertRulesAreValid() {
        Result result = promtool("check", "rules", "monitoring/prometheus/alerts.yml");
        assertThat(result.exitCode()).as("promtool check rules exit code; output:%n%s", result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS").doesNotContain("FAILED");
    }

    @Test
    void alertRuleUnitTestsPass() {
        Result result = promtool("test", "rules", "monitoring/prometheus/alerts.test.yml");
        assertThat(result.exitCode()).as("promtool test rules exit code; output:%n%s", result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS").doesNotContain("FAILED");
    }

    @Test
    void prometheusConfigsAreValid() {
        // the local config resolves alerts.yml next to it, so it is checked in full
        Result local = promtool("check", "config", "monitoring/prometheus/prometheus-local.yml");
        assertThat(local.exitCode()).as("promtool check config prometheus-local.yml; output:%n%s", local.output()).isZero();
        assertThat(local.output()).contains("SUCCESS");
        // the compose config names the rule file by its path inside the container
        Result compose = promtool("check", "config", "--syntax-only", "monitoring/prometheus/prometheus.yml");
        assertThat(compose.exitCode()).as("promtool check config prometheus.yml; output:%n%s", compose.output()).isZero();
        assertThat(compose.output()).contains("SUCCESS");
    }

    private static Result promtool(String... arguments) {
        return Promtool.run(AlertRulesTest.class, arguments);
    }
}
