package io.connectionswap.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shell that prints what it was given and then blocks reading its stdin. */
class ManagedProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Set<String> SHELL_VARIABLES = Set.of("PATH", "PWD", "OLDPWD", "SHLVL", "IFS", "PPID", "OPTIND",
            "PS1", "PS2", "PS4", "HOME", "MAIL", "MAILPATH");
    /** A variable this JVM has (HOME, USER, ...; not one a shell sets itself), to be unset for the child. */
    private static final String INHERITED = System.getenv().keySet().stream().sorted()
            .filter(key -> key.matches("[A-Z][A-Z0-9_]*") && !SHELL_VARIABLES.contains(key)).findFirst().orElse(null);
    private static final String SCRIPT = "echo \"greeting=$GREETING\"; echo \"inherited=${" + INHERITED + ":-unset}\";"
            + " echo \"path=$PATH\"; echo \"pwd=$(pwd)\"; echo ready; read line";

    @TempDir
    Path dir;

    private ManagedProcess process;

    @AfterEach
    void killIt() {
        if (process != null) {
            process.killNow();
        }
    }

    private ManagedProcess shell() {
        Launch launch = Launch.of("shell", List.of("/bin/sh", "-c", SCRIPT), dir.resolve("shell.log"))
                .withEnvironment(Map.of("GREETING", "hello"))
                .withUnsetInherited(key -> key.equals(INHERITED))
                .withDirectory(dir);
        process = new ManagedProcess(launch);
        return process;
    }

    private void awaitReady(int times) {
        await("ready printed " + times + " times").atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> process.logLines("ready").size() == times);
    }

    @Test
    void theChildGetsItsEnvironmentDirectoryAndLog() throws IOException {
        assumeTrue(INHERITED != null, "this JVM has no environment variable to unset for the child");
        shell().start();
        awaitReady(1);

        assertThat(process.isAlive()).isTrue();
        assertThat(process.pid()).isEqualTo(process.process().pid());
        assertThat(process.logLines("greeting=")).containsExactly("greeting=hello");
        assertThat(process.logLines("inherited=")).as("%s: inherited, but the launch unsets it", INHERITED)
                .containsExactly("inherited=unset");
        assertThat(process.logLines("path=")).as("the rest is inherited")
                .containsExactly("path=" + System.getenv("PATH"));
        assertThat(process.logLines("pwd=")).containsExactly("pwd=" + dir.toRealPath());
        assertThat(process.logTail(2)).isEqualTo("pwd=" + dir.toRealPath() + "\nready");
        assertThat(process.logText()).isEqualTo(Files.readString(dir.resolve("shell.log")));
        assertThat(process).hasToString("shell");
    }

    @Test
    void frozenUntilResumedThenKilledAndStartedAgainOnTheSameLog() throws IOException {
        shell().start();
        awaitReady(1);

        long sent = process.freeze();
        assertThat(sent).isLessThanOrEqualTo(System.nanoTime());
        assertThat(process.frozen()).isTrue();
        await("stopped").atMost(DEADLINE).until(() -> state(process.pid()) == 'T');
        process.resume();
        assertThat(process.frozen()).isFalse();
        await("running again").atMost(DEADLINE).until(() -> state(process.pid()) != 'T');

        process.signal("STOP");
        assertThat(process.frozen()).as("a raw STOP counts too").isTrue();
        process.kill9();
        assertThat(process.isAlive()).isFalse();
        assertThat(process.process().exitValue()).as("128 + SIGKILL").isEqualTo(137);
        assertThat(process.frozen()).isFalse();

        process.restart();
        awaitReady(2);
        assertThat(process.logLines("greeting=")).as("the log is appended to").hasSize(2);
        assertThatThrownBy(process::restart).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shell is still running");
    }

    @Test
    void sigtermAndStopEndIt() {
        shell().start();
        awaitReady(1);
        process.sigterm();
        assertThat(process.waitForExit(DEADLINE)).isTrue();

        process.start();
        awaitReady(2);
        process.freeze();
        process.stop(DEADLINE);
        assertThat(process.isAlive()).as("a frozen process is thawed and stopped").isFalse();
        assertThat(process.frozen()).isFalse();
    }

    @Test
    void nothingIsAskedOfAProcessThatNeverStarted() {
        ManagedProcess idle = shell();

        assertThat(idle.isAlive()).isFalse();
        assertThat(idle.logText()).isEmpty();
        assertThat(idle.logTail(5)).isEmpty();
        idle.stop(Duration.ofSeconds(1));
        idle.killNow();
        idle.signal("CONT");
        assertThatThrownBy(idle::pid).isInstanceOf(IllegalStateException.class).hasMessage("shell was never started");
    }

    @Test
    void aProgramThatCannotStartSaysWhich() {
        process = new ManagedProcess(Launch.of("nothing", List.of(dir.resolve("no-such-program").toString()),
                dir.resolve("nothing.log")));

        assertThatThrownBy(process::start).hasMessageStartingWith("cannot start nothing: " + dir.resolve("no-such-program"));
    }

    @Test
    void javaCommandsUseThisJvm() {
        List<String> command = Launch.javaMain(List.of("-Xmx64m"), "a.jar", "x.Main", List.of("--port=1"));

        assertThat(command.get(0)).isEqualTo(ProcessHandle.current().info().command().orElse("java"));
        assertThat(command.subList(1, command.size())).containsExactly("-Xmx64m", "-cp", "a.jar", "x.Main", "--port=1");
        assertThatThrownBy(() -> Launch.of("x", List.of(), dir.resolve("x.log")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("command of x");
    }

    /** The state letter of /proc/<pid>/stat: R, S, T (stopped), ... */
    private static char state(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }
}
