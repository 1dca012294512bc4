package io.connectionswap.bench;

import io.connectionswap.testsupport.net.LoopbackHttp;
import io.connectionswap.testsupport.process.Jcmd;
import io.connectionswap.testsupport.process.Launch;
import io.connectionswap.testsupport.process.ManagedProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A service jar, or another program the bench runs (an upstream, HAProxy), as its own OS process on loopback, its
 * output in a log file. Signals, waits and logs come from {@link ManagedProcess}; this class adds the bench's
 * bookkeeping and the Actuator. Every child is listed in {@link #ALL} (the shutdown hook kills whatever is left, also
 * on Ctrl-C) and its pid is appended to a pid file that bench/run.sh reads when the bench JVM itself dies without
 * running its hooks.
 */
final class ChildProcess extends ManagedProcess {

    static final List<ChildProcess> ALL = new CopyOnWriteArrayList<>();
    /** Besides a service's own settings, what would change its JVM or its log lines under the bench. */
    private static final Predicate<String> UNSET = Launch.SERVICE_SETTINGS
            .or(key -> key.equals("JAVA_TOOL_OPTIONS") || key.startsWith("LOGGING_"));
    private static volatile Path pidFile;
    private static volatile boolean shuttingDown;

    private final int httpPort;

    /** A service jar ({@code java <jvmOptions> -jar <jar>}) with its Actuator on {@code httpPort}. */
    ChildProcess(String name, Path jar, List<String> jvmOptions, Map<String, String> environment, int httpPort, Path log) {
        this(name, Launch.java(jvmOptions, "-jar", jar.toString()), environment, httpPort, log);
    }

    /** Any command; {@code httpPort} is where {@link #get} asks (0: none). SERVER_PORT is set only for a port. */
    ChildProcess(String name, List<String> command, Map<String, String> environment, int httpPort, Path log) {
        super(new Launch(name, command, withServerPort(environment, httpPort), UNSET, null, log));
        this.httpPort = httpPort;
    }

    private static Map<String, String> withServerPort(Map<String, String> environment, int httpPort) {
        Map<String, String> all = new HashMap<>(environment);
        if (httpPort > 0) {
            all.put("SERVER_PORT", String.valueOf(httpPort));
        }
        return all;
    }

    /** {@code java <jvmOptions> -cp <classpath> <mainClass> <args>} with the bench JVM's java and classpath. */
    static ChildProcess javaMain(String name, List<String> jvmOptions, String mainClass, List<String> args, int httpPort,
                                 Path log) {
        return new ChildProcess(name, Launch.javaMain(jvmOptions, System.getProperty("java.class.path"), mainClass, args),
                Map.of(), httpPort, log);
    }

    static void pidFile(Path file) {
        pidFile = file;
    }

    int httpPort() {
        return httpPort;
    }

    /** From the shutdown hook on, nothing new is started (a phase thread may still be running). */
    static void shuttingDown() {
        shuttingDown = true;
    }

    /** Starts it with a first log line naming the command, lists it in {@link #ALL} and appends its pid to the pid file. */
    @Override
    public ChildProcess start() {
        if (shuttingDown) {
            throw new IllegalStateException("the bench is shutting down; not starting " + name());
        }
        try {
            Files.writeString(log(), "=== bench: starting " + name() + ": " + String.join(" ", launch().command()) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name() + ": " + String.join(" ", launch().command()), e);
        }
        super.start();
        ALL.add(this);
        Path file = pidFile;
        if (file != null) {
            try {
                Files.writeString(file, pid() + " " + name() + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                // only a safety net
            }
        }
        return this;
    }

    /** SIGCONT (when frozen), SIGTERM, then SIGKILL after {@code grace}; no longer listed in {@link #ALL}. */
    @Override
    public void stop(Duration grace) {
        if (process() == null) {
            return;
        }
        super.stop(grace);
        ALL.remove(this);
    }

    /** Body of an HTTP GET on the process's Actuator port, or null when it does not answer 200. */
    String get(String path) {
        return httpPort > 0 ? LoopbackHttp.getOk(httpPort, path) : null;
    }

    boolean ready() {
        return isAlive() && get("/actuator/health/readiness") != null;
    }

    /** Parsed /actuator/prometheus, or null when it does not answer. */
    Metrics metrics() {
        String body = get("/actuator/prometheus");
        return body == null ? null : Metrics.parse(body);
    }

    /** {@code jcmd <pid> <command...>}; returns its output, or null when it failed or timed out. */
    String jcmd(Duration timeout, String... arguments) {
        try {
            return Jcmd.run(pid(), timeout, arguments);
        } catch (IllegalStateException | UncheckedIOException e) {
            return null;
        }
    }
}
