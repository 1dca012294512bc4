package io.connectionswap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A service jar, or another program the bench runs (an upstream, HAProxy), as its own OS process on loopback, its
 * output in a log file. Every child is listed in {@link #ALL} (the shutdown hook kills whatever is left, also on
 * Ctrl-C) and its pid is appended to a pid file that bench/run.sh reads when the bench JVM itself dies without
 * running its hooks.
 */
final class ChildProcess {

    static final List<ChildProcess> ALL = new CopyOnWriteArrayList<>();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static volatile Path pidFile;
    private static volatile boolean shuttingDown;

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final int httpPort;
    private final Path log;
    private volatile Process process;
    private volatile boolean stopped;

    /** A service jar ({@code java <jvmOptions> -jar <jar>}) with its Actuator on {@code httpPort}. */
    ChildProcess(String name, Path jar, List<String> jvmOptions, Map<String, String> environment, int httpPort, Path log) {
        this(name, javaCommand(jvmOptions, List.of("-jar", jar.toString())), environment, httpPort, log);
    }

    /** Any command; {@code httpPort} is where {@link #get} asks (0: none). SERVER_PORT is set only for a port. */
    ChildProcess(String name, List<String> command, Map<String, String> environment, int httpPort, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.httpPort = httpPort;
        this.log = log;
    }

    /** {@code java <jvmOptions> -cp <classpath> <mainClass> <args>} with the bench JVM's java and classpath. */
    static ChildProcess javaMain(String name, List<String> jvmOptions, String mainClass, List<String> args, int httpPort,
                                 Path log) {
        List<String> tail = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        tail.addAll(args);
        return new ChildProcess(name, javaCommand(jvmOptions, tail), Map.of(), httpPort, log);
    }

    private static List<String> javaCommand(List<String> jvmOptions, List<String> tail) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(tail);
        return command;
    }

    static void pidFile(Path file) {
        pidFile = file;
    }

    String name() {
        return name;
    }

    int httpPort() {
        return httpPort;
    }

    Path log() {
        return log;
    }

    long pid() {
        return process.pid();
    }

    /** From the shutdown hook on, nothing new is started (a phase thread may still be running). */
    static void shuttingDown() {
        shuttingDown = true;
    }

    ChildProcess start() {
        if (shuttingDown) {
            throw new IllegalStateException("the bench is shutting down; not starting " + name);
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(key -> key.startsWith("CONNECTION_SWAP_") || key.equals("SERVER_PORT")
                || key.equals("JAVA_TOOL_OPTIONS") || key.startsWith("LOGGING_"));
        builder.environment().putAll(environment);
        if (httpPort > 0) {
            builder.environment().put("SERVER_PORT", String.valueOf(httpPort));
        }
        try {
            Files.writeString(log, "=== bench: starting " + name + ": " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
        }
        stopped = false;
        ALL.add(this);
        Path file = pidFile;
        if (file != null) {
            try {
                Files.writeString(file, process.pid() + " " + name + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                // only a safety net
            }
        }
        return this;
    }

    boolean alive() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /** SIGTERM: the JVM runs its shutdown hooks (a worker drains). Returns System.nanoTime() once sent. */
    long sigterm() {
        process.destroy();
        return System.nanoTime();
    }

    /** SIGKILL: no hook, no drain. Returns System.nanoTime() once sent, after which it waits for the exit. */
    long kill9() {
        if (stopped) {
            signal("CONT");
        }
        process.destroyForcibly();
        long sent = System.nanoTime();
        waitForExit(Duration.ofSeconds(10));
        return sent;
    }

    /** SIGSTOP: the process is frozen (a hang) until {@link #resume()}. Returns System.nanoTime() once delivered. */
    long freeze() {
        signal("STOP");
        stopped = true;
        return System.nanoTime();
    }

    void resume() {
        signal("CONT");
        stopped = false;
    }

    boolean frozen() {
        return stopped;
    }

    private void signal(String signal) {
        Process current = process;
        if (current == null || !current.isAlive()) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(current.pid())).redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("kill -" + signal + " " + current.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** SIGCONT (in case it is frozen), SIGTERM, then SIGKILL after {@code grace}. */
    void stop(Duration grace) {
        Process current = process;
        if (current == null) {
            return;
        }
        if (current.isAlive()) {
            signal("CONT");
            current.destroy();
            if (!waitForExit(grace)) {
                current.destroyForcibly();
                waitForExit(Duration.ofSeconds(5));
            }
        }
        ALL.remove(this);
    }

    /** For the shutdown hook: no grace. */
    void killNow() {
        Process current = process;
        if (current != null && current.isAlive()) {
            signal("CONT");
            current.destroyForcibly();
        }
    }

    /** Body of an HTTP GET on the process's Actuator port, or null when it does not answer 200. */
    String get(String path) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    boolean ready() {
        return alive() && get("/actuator/health/readiness") != null;
    }

    /** Parsed /actuator/prometheus, or null when it does not answer. */
    Metrics metrics() {
        String body = get("/actuator/prometheus");
        return body == null ? null : Metrics.parse(body);
    }

    /** {@code jcmd <pid> <command...>}; returns its output, or null when it failed or timed out. */
    String jcmd(Duration timeout, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(Paths.jdkTool("jcmd"));
        command.add(Long.toString(pid()));
        command.addAll(List.of(arguments));
        Path out = null;
        try {
            // output to a file, not a pipe: a class histogram is far bigger than a pipe buffer
            out = Files.createTempFile("bench-jcmd", ".txt");
            Process jcmd = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(out.toFile())).start();
            if (!jcmd.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                jcmd.destroyForcibly();
                return null;
            }
            return jcmd.exitValue() == 0 ? Files.readString(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temp file
                }
            }
        }
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
