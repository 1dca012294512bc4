package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and Prometheus configs in {@code monitoring/prometheus} are valid and their unit tests
 * ({@code alerts.test.yml}) pass, checked with the real {@code promtool}. Without promtool each test prints one
 * {@code MISSING TOOL: promtool} line and is skipped, or fails when {@code CI=true} ({@link ExternalTool}): run
 * {@code .ci/install-prometheus.sh}, or the README's test command {@code ./test.sh}.
 */
class AlertRulesTest {

    private static final Path ROOT = ProcessCluster.repositoryRoot();

    private record Result(int exitCode, String output) {
    }

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

    /** Runs promtool from the repository root; skips (fails under CI=true) when it is not on the PATH. */
    private static Result promtool(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(ExternalTool.PROMTOOL.require(AlertRulesTest.class).toString());
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            // promtool's output is a few lines: reading it to the end cannot block on a full pipe
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 120s; output:\n" + output);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        }
    }
}
