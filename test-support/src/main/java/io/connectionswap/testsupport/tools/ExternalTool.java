package io.connectionswap.testsupport.tools;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A program outside the JVM that a test needs (promtool, docker, kubectl, ...). A test asks for it in one line:
 *
 * <pre>
 * Path promtool = ExternalTool.PROMTOOL.require(AlertRulesTest.class);
 * ExternalTool.DOCKER.requireWorking(ComposeIT.class, "info");       // on the PATH and {@code docker info} exits 0
 * </pre>
 *
 * When the tool is there it returns its path. When it is not, it prints ONE loud line (once per tool and test
 * class) and then
 * <ul>
 *   <li>skips the test (a JUnit assumption), on a developer's machine;</li>
 *   <li>fails it (an {@link AssertionError}) when {@code CI=true} is in the environment: in CI a missing tool is
 *       never a silent skip.</li>
 * </ul>
 * The line: {@code MISSING TOOL: promtool (not on the PATH; install with .ci/install-prometheus.sh, or run
 * ./test.sh); AlertRulesTest skipped}. A tool of a test's own: {@code new ExternalTool("jq", "install with
 * apt-get install jq")}.
 *
 * <p>Ask in the test or in {@code @BeforeEach}: surefire and failsafe count a test skipped there as skipped, while
 * an assumption that fails in {@code @BeforeAll} makes the class report no test at all. A class that needs the tool
 * in {@code @BeforeAll} catches the {@code TestAbortedException} there and throws it again in {@code @BeforeEach}
 * (see {@code ComposeIT}; the k8s manifest tests do it through {@code RenderOrSkip}).
 *
 * @param name    the program's name, looked up on the PATH
 * @param install how to get it: the phrase that follows the problem in the line ("install with ...")
 */
public record ExternalTool(String name, String install) {

    /** What the line starts with; grep a build log for it. */
    public static final String MARK = "MISSING TOOL:";

    public static final ExternalTool PROMTOOL = new ExternalTool("promtool",
            "install with .ci/install-prometheus.sh, or run ./test.sh");
    public static final ExternalTool PROMETHEUS = new ExternalTool("prometheus",
            "install with .ci/install-prometheus.sh, or run ./test.sh");
    public static final ExternalTool DOCKER = new ExternalTool("docker",
            "install and start an engine with .ci/install-docker.sh, or run ./test.sh");
    public static final ExternalTool DOCKER_COMPOSE = new ExternalTool("docker-compose",
            "install with .ci/install-docker.sh, or run ./test.sh");
    public static final ExternalTool KUBECTL = new ExternalTool("kubectl",
            "install kubectl 1.27 or newer from https://kubernetes.io/docs/tasks/tools/; Debian 12's "
                    + "kubernetes-client (1.20) is too old for the kustomize v5 files in k8s/");
    public static final ExternalTool OPENSSL = new ExternalTool("openssl",
            "install with apt-get install openssl, or run ./test.sh");
    public static final ExternalTool CHROMIUM = new ExternalTool("chromium",
            "install with apt-get install chromium, or run ./test.sh");
    public static final ExternalTool CHROMEDRIVER = new ExternalTool("chromedriver",
            "install with apt-get install chromium-driver, or run ./test.sh");
    public static final ExternalTool NODE = new ExternalTool("node",
            "install Node.js 18 or newer (apt-get install nodejs npm), or run ./test.sh");
    public static final ExternalTool NPM = new ExternalTool("npm",
            "install with apt-get install npm, or run ./test.sh");

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(60);
    /** (tool, test) pairs already announced: one line per pair, however many test methods ask. */
    private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

    public ExternalTool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(install, "install");
        if (name.isBlank() || name.contains("/")) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: a program name without a path)");
        }
    }

    /** Where the tool is on the PATH, if it is. */
    public Optional<Path> find() {
        return find(System.getenv());
    }

    /**
     * The tool's path; when it is not on the PATH: the loud line, then a skip, or a failure under {@code CI=true}.
     *
     * @param test the test class that needs it (named in the line)
     */
    public Path require(Class<?> test) {
        return require(test, System.getenv());
    }

    /**
     * {@link #require} and, in addition, {@code <tool> <probe...>} must exit 0 within a minute (e.g. {@code docker
     * info}: the engine answers). Otherwise the same as a missing tool, with the probe's first error line.
     */
    public Path requireWorking(Class<?> test, String... probe) {
        return requireWorking(test, System.getenv(), probe);
    }

    /**
     * The tool is there but cannot be used (an engine that is down, a version too old): the loud line, then a skip,
     * or a failure under {@code CI=true}. Never returns.
     *
     * @param problem what is wrong, e.g. "`docker info` failed: Cannot connect to the Docker daemon"
     */
    public AssertionError unavailable(Class<?> test, String problem) {
        throw unavailable(test, problem, System.getenv());
    }

    // ---------------------------------------------------------------------------------------------------------
    // With an explicit environment (tests of this class)
    // ---------------------------------------------------------------------------------------------------------

    Optional<Path> find(Map<String, String> env) {
        String path = env.getOrDefault("PATH", "");
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path candidate = Path.of(entry, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    Path require(Class<?> test, Map<String, String> env) {
        Optional<Path> found = find(env);
        if (found.isEmpty()) {
            throw unavailable(test, "not on the PATH", env);
        }
        return found.get();
    }

    Path requireWorking(Class<?> test, Map<String, String> env, String... probe) {
        Path binary = require(test, env);
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(probe));
        String shown = "`" + name + (probe.length == 0 ? "" : " " + String.join(" ", probe)) + "`";
        String problem = probe(command, shown);
        if (problem != null) {
            throw unavailable(test, problem, env);
        }
        return binary;
    }

    AssertionError unavailable(Class<?> test, String problem, Map<String, String> env) {
        Objects.requireNonNull(test, "test");
        boolean ci = "true".equalsIgnoreCase(env.getOrDefault("CI", "").strip());
        String line = MARK + " " + name + " (" + problem + "; " + install + "); "
                + test.getSimpleName() + (ci ? " FAILS: with CI=true a missing tool is never a silent skip"
                : " skipped");
        if (ANNOUNCED.add(name + " " + test.getName() + " " + ci)) {
            System.out.println(line);
        }
        if (ci) {
            throw new AssertionError(line);
        }
        Assumptions.abort(line);
        throw new AssertionError("unreachable: Assumptions.abort returned");
    }

    /** Runs the probe with a deadline; null when it exits 0, else what went wrong in one line. */
    private static String probe(List<String> command, String shown) {
        Path output = null;
        try {
            output = Files.createTempFile("external-tool-", ".out");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return shown + " did not answer within " + PROBE_TIMEOUT.toSeconds() + "s";
            }
            if (process.exitValue() == 0) {
                return null;
            }
            String first = Files.readString(output, StandardCharsets.UTF_8).strip().lines()
                    .filter(l -> !l.isBlank()).findFirst().orElse("(no output)");
            return shown + " exited with " + process.exitValue() + ": " + first;
        } catch (IOException e) {
            return "cannot run " + shown + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while running " + shown;
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }
}
