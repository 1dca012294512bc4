package io.connectionswap.systemtest.support;

import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code promtool} from the repository root, for the tests of the alert rules and the dashboard. */
public final class Promtool {

    /** promtool's exit code and its output (stdout and stderr together). */
    public record Result(int exitCode, String output) {
    }

    private Promtool() {
    }

    /** Runs promtool; skips {@code caller}'s test (fails it under CI=true) when promtool is not on the PATH. */
    public static Result run(Class<?> caller, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(ExternalTool.PROMTOOL.require(caller).toString());
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).directory(ProcessCluster.repositoryRoot().toFile())
                    .redirectErrorStream(true).start();
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
