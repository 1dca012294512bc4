package io.connectionswap.protocol.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs 20 {@code CompletableFuture} tasks on the default executor in a JVM of its own that sees two processors
 * ({@code -XX:ActiveProcessorCount=2}): the common pool's parallelism is read once per JVM, so only a fresh one shows
 * what {@link CommonPoolThreads} changes.
 * Each probe JVM has a minute: reading its output waits for it to end.
 */
@Timeout(60)
class CommonPoolThreadsTest {

    private static final int TASKS = 20;

    @Test
    void onTwoProcessorsTheDefaultExecutorReusesItsThreads() throws Exception {
        assertThat(threadsStartedFor(TASKS, true)).as("threads started for " + TASKS + " tasks").isLessThan(5);
    }

    @Test
    void withoutItTheDefaultExecutorStartsAThreadPerTaskOnTwoProcessors() throws Exception {
        // the JDK behaviour the class is there for; were it gone, the class would be needless
        assertThat(threadsStartedFor(TASKS, false)).as("threads started for " + TASKS + " tasks")
                .isGreaterThanOrEqualTo(TASKS);
    }

    @Test
    void aParallelismSetOnTheCommandLineIsLeftAsItIs() throws Exception {
        assertThat(run("-D" + CommonPoolThreads.PARALLELISM + "=1", "parallelism")).isEqualTo("1");
        assertThat(run("-Dno.such.property=1", "parallelism")).isEqualTo("2");
    }

    private static long threadsStartedFor(int tasks, boolean atLeastTwo) throws Exception {
        return Long.parseLong(run("-Dno.such.property=1", (atLeastTwo ? "call" : "skip") + ":" + tasks));
    }

    /** Runs {@link Probe} in a new JVM that sees two processors; returns its one line of output. */
    private static String run(String property, String argument) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-XX:ActiveProcessorCount=2", property,
                "-cp", System.getProperty("java.class.path"), Probe.class.getName(), argument))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the probe JVM ends").isTrue();
        assertThat(process.exitValue()).as("probe output: " + output).isZero();
        return output;
    }

    /** {@code call:N} / {@code skip:N}: threads started for N tasks; {@code parallelism}: after the call. */
    public static final class Probe {
        public static void main(String[] args) {
            if (args[0].equals("parallelism")) {
                System.out.println(CommonPoolThreads.atLeastTwo());
                return;
            }
            String[] parts = args[0].split(":");
            if (parts[0].equals("call")) {
                CommonPoolThreads.atLeastTwo();
            }
            long before = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
            for (int i = 0; i < Integer.parseInt(parts[1]); i++) {
                CompletableFuture.runAsync(() -> { }).join();
            }
            System.out.println(ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - before);
        }
    }
}
