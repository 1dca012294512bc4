package io.connectionswap.systemtest.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One role running from its built jar as a separate OS process, with its log in a file. */
public final class ServiceProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path jar;
    private final Map<String, String> environment;
    private final int httpPort;
    private final Path log;
    private Process process;

    ServiceProcess(String name, Path jar, Map<String, String> environment, int httpPort, Path log) {
        this.name = name;
        this.jar = jar;
        this.environment = environment;
        this.httpPort = httpPort;
        this.log = log;
    }

    public String name() {
        return name;
    }

    public int httpPort() {
        return httpPort;
    }

    public Path log() {
        return log;
    }

    public Process process() {
        return process;
    }

    public ServiceProcess start() {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dio.netty.leakDetection.level=paranoid", "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(key -> key.startsWith("CONNECTION_SWAP_") || key.equals("SERVER_PORT"));
        builder.environment().putAll(environment);
        builder.environment().put("SERVER_PORT", String.valueOf(httpPort));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " from " + jar, e);
        }
        return this;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** {@code kill -9}: no shutdown hook, no drain. */
    public void kill9() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(10));
    }

    /** {@code kill} (SIGTERM): the JVM runs its shutdown hooks, a worker drains. */
    public void sigterm() {
        process.destroy();
    }

    /** {@code kill -<signal> <pid>} ({@code STOP}, {@code CONT}, ...). */
    public void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("kill -" + signal + " " + process.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts the process again after it exited (killed, drained or stopped), with the same environment, ports and
     * log file (appended to).
     */
    public ServiceProcess restart() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is still running (pid " + process.pid() + ")");
        }
        return start();
    }

    public boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitForExit(Duration.ofSeconds(20))) {
                process.destroyForcibly();
                waitForExit(Duration.ofSeconds(5));
            }
        }
    }

    /** Body of an Actuator endpoint, or null when it does not answer. */
    public String get(String path) {
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

    public boolean ready() {
        return get("/actuator/health/readiness") != null;
    }

    public PrometheusText metrics() {
        String body = get("/actuator/prometheus");
        if (body == null) {
            throw new IllegalStateException(name + " does not serve /actuator/prometheus on port " + httpPort);
        }
        return PrometheusText.parse(body);
    }

    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> logLines(String containing) {
        return logText().lines().filter(line -> line.contains(containing)).toList();
    }

    public String logTail(int lines) {
        List<String> all = logText().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
