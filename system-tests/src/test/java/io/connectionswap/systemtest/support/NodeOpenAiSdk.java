package io.connectionswap.systemtest.support;

import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The official OpenAI Node SDK (npm {@code openai}, the version pinned in {@code system-tests/src/test/node}),
 * installed with {@code npm ci} into {@code system-tests/target/openai-node} and run as a process of its own. Node and
 * npm are {@link ExternalTool}s: missing, the test is skipped with a {@code MISSING TOOL} line, or fails under
 * {@code CI=true}.
 */
public final class NodeOpenAiSdk {

    private static final Path SOURCE = ProcessCluster.repositoryRoot().resolve("system-tests/src/test/node");
    private static final Path INSTALLED = ProcessCluster.repositoryRoot().resolve("system-tests/target/openai-node");
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(3);

    private final Path node;

    private NodeOpenAiSdk(Path node) {
        this.node = node;
    }

    /**
     * Node, npm and the SDK: copies the scripts and the lock file next to {@code node_modules} and runs
     * {@code npm ci} (from the npm registry, or npm's cache) when the installed lock differs.
     */
    public static NodeOpenAiSdk install(Class<?> test) throws IOException, InterruptedException {
        Path node = ExternalTool.NODE.require(test);
        Path npm = ExternalTool.NPM.require(test);
        Files.createDirectories(INSTALLED);
        Path lock = INSTALLED.resolve("package-lock.json");
        boolean current = Files.isDirectory(INSTALLED.resolve("node_modules/openai")) && Files.exists(lock)
                && Files.mismatch(lock, SOURCE.resolve("package-lock.json")) == -1;
        try (Stream<Path> files = Files.list(SOURCE)) {
            for (Path file : files.toList()) {
                Files.copy(file, INSTALLED.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (!current) {
            Path log = INSTALLED.resolve("npm-ci.log");
            Process ci = new ProcessBuilder(npm.toString(), "ci", "--no-audit", "--no-fund")
                    .directory(INSTALLED.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!ci.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                ci.destroyForcibly();
                throw new AssertionError("npm ci did not finish within " + INSTALL_TIMEOUT + ": " + log);
            }
            if (ci.exitValue() != 0) {
                throw new AssertionError("npm ci failed (exit " + ci.exitValue() + "), so the OpenAI Node SDK is not "
                        + "installed; the registry must be reachable:\n" + Files.readString(log));
            }
        }
        return new NodeOpenAiSdk(node);
    }

    /** Runs {@code node <script> <args...>} from the installed directory; its stdout comes line by line. */
    public Run run(String script, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(node.toString(), script));
        command.addAll(List.of(args));
        Path errors = Files.createTempFile("node-" + script, ".err");
        Process process = new ProcessBuilder(command).directory(INSTALLED.toFile())
                .redirectError(errors.toFile()).start();
        return new Run(process, errors);
    }

    /** A running script: its output lines as they come, each waited for with a deadline. */
    public static final class Run implements AutoCloseable {

        private final Process process;
        private final Path errors;
        /** The output's lines, then one empty: the output has ended. */
        private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();

        private Run(Process process, Path errors) {
            this.process = process;
            this.errors = errors;
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(Optional.of(line));
                    }
                } catch (IOException e) {
                    // the process was destroyed: its output ends here
                } finally {
                    lines.add(Optional.empty());
                }
            }, "node-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** The next line of output, or null once the output has ended; fails after {@code timeout}. */
        public String nextLine(Duration timeout) throws InterruptedException, IOException {
            Optional<String> line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null) {
                throw new AssertionError("no output from node within " + timeout + "; its stderr:\n"
                        + Files.readString(errors));
            }
            return line.orElse(null);
        }

        /** Waits for the process to end and returns its exit code. */
        public int exitCode(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("node did not exit within " + timeout);
            }
            return process.exitValue();
        }

        public String errors() throws IOException {
            return Files.readString(errors);
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            Files.deleteIfExists(errors);
        }
    }
}
