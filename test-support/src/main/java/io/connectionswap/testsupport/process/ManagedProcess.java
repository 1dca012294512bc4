package io.connectionswap.testsupport.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program run by a test or the bench as its own OS process (a service jar, a test server, HAProxy, Prometheus), its
 * stdout and stderr appended to a log file. It can be signalled as an operator would (SIGTERM, {@code kill -9},
 * SIGSTOP and SIGCONT), waited for, stopped with a grace period and started again with the same {@link Launch}; its
 * log is read back as text or lines.
 *
 * <p>Designed for extension: a subclass adds what its callers ask of the process (an Actuator port, metrics) and may
 * override {@link #start()} to do something around the start; it calls {@code super.start()}.
 *
 * <p>The process is frozen after {@code signal("STOP")} or {@link #freeze()} and thawed by {@code signal("CONT")} or
 * {@link #resume()}; {@link #kill9()}, {@link #stop(Duration)} and {@link #killNow()} first thaw a frozen process, so
 * that a SIGTERM is acted on and no process stays stopped behind a test.
 */
public class ManagedProcess {

    private final Launch launch;
    private volatile Process process;
    private volatile boolean frozen;

    public ManagedProcess(Launch launch) {
        if (launch == null) {
            throw new IllegalArgumentException("launch: null (expected: what to run)");
        }
        this.launch = launch;
    }

    public String name() {
        return launch.name();
    }

    public Launch launch() {
        return launch;
    }

    public Path log() {
        return launch.log();
    }

    /** The running (or last) process, null before the first {@link #start()}; for what this class does not offer. */
    public Process process() {
        return process;
    }

    /** The operating system's id of the process. */
    public long pid() {
        return started().pid();
    }

    /**
     * Starts the command: inherited variables that {@link Launch#unsetInherited()} accepts are removed, the launch's
     * environment is set, and output goes to the end of the log file.
     *
     * @throws UncheckedIOException when the program cannot be started
     */
    public ManagedProcess start() {
        ProcessBuilder builder = new ProcessBuilder(launch.command()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(launch.log().toFile()));
        if (launch.directory() != null) {
            builder.directory(launch.directory().toFile());
        }
        builder.environment().keySet().removeIf(launch.unsetInherited());
        builder.environment().putAll(launch.environment());
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name() + ": " + String.join(" ", launch.command()), e);
        }
        frozen = false;
        return this;
    }

    /**
     * Starts the process again after it exited (killed, drained or stopped), with the same launch (environment, ports,
     * log file appended to).
     *
     * @throws IllegalStateException while it is still running
     */
    public ManagedProcess restart() {
        if (isAlive()) {
            throw new IllegalStateException(name() + " is still running (pid " + process.pid() + ")");
        }
        return start();
    }

    public boolean isAlive() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /** SIGTERM: a JVM runs its shutdown hooks (a worker drains). Returns {@link System#nanoTime()} once sent. */
    public long sigterm() {
        started().destroy();
        return System.nanoTime();
    }

    /**
     * SIGKILL ({@code kill -9}): no shutdown hook, no drain. Returns {@link System#nanoTime()} once sent, after which
     * it waits up to 10 s for the exit.
     */
    public long kill9() {
        Process current = started();
        if (frozen) {
            signal("CONT");
        }
        current.destroyForcibly();
        long sent = System.nanoTime();
        waitForExit(Duration.ofSeconds(10));
        return sent;
    }

    /** SIGSTOP: the process is frozen (a hang) until {@link #resume()}. Returns {@link System#nanoTime()} once delivered. */
    public long freeze() {
        signal("STOP");
        return System.nanoTime();
    }

    /** SIGCONT after {@link #freeze()}. */
    public void resume() {
        signal("CONT");
    }

    /** Whether the last of {@code STOP} and {@code CONT} sent was {@code STOP}. */
    public boolean frozen() {
        return frozen;
    }

    /**
     * {@code kill -<signal> <pid>} ({@code STOP}, {@code CONT}, {@code HUP}, ...), waiting up to 5 s for {@code kill};
     * nothing is sent to a process that is not running.
     */
    public void signal(String signal) {
        if (signal.equals("STOP")) {
            frozen = true;
        } else if (signal.equals("CONT")) {
            frozen = false;
        }
        Process current = process;
        if (current == null || !current.isAlive()) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(current.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("kill -" + signal + " " + current.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code timeout} for the process to exit; false when it still runs (or the wait was interrupted). */
    public boolean waitForExit(Duration timeout) {
        try {
            return started().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** SIGCONT when frozen, SIGTERM, then SIGKILL when it has not exited after {@code grace}. Nothing before a start. */
    public void stop(Duration grace) {
        Process current = process;
        if (current == null || !current.isAlive()) {
            return;
        }
        if (frozen) {
            signal("CONT");
        }
        current.destroy();
        if (!waitForExit(grace)) {
            current.destroyForcibly();
            waitForExit(Duration.ofSeconds(5));
        }
    }

    /** SIGCONT when frozen, then SIGKILL without waiting (for a shutdown hook). */
    public void killNow() {
        Process current = process;
        if (current != null && current.isAlive()) {
            if (frozen) {
                signal("CONT");
            }
            current.destroyForcibly();
        }
    }

    /** The whole log; empty when there is no log file yet. */
    public String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log()) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the log of " + name() + ": " + log(), e);
        }
    }

    /** The log lines that contain {@code text}. */
    public List<String> logLines(String containing) {
        return logText().lines().filter(line -> line.contains(containing)).toList();
    }

    /** The last {@code lines} lines of the log, for failure messages; never fails (says why it cannot read instead). */
    public String logTail(int lines) {
        try {
            List<String> all = logText().lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (RuntimeException e) {
            return "(cannot read " + log() + ": " + e + ")";
        }
    }

    private Process started() {
        Process current = process;
        if (current == null) {
            throw new IllegalStateException(name() + " was never started");
        }
        return current;
    }

    @Override
    public String toString() {
        return name();
    }
}
