package io.connectionswap.bench;

import io.connectionswap.testsupport.llm.GreedyLlmServer;
import io.connectionswap.testsupport.net.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An OpenAI-compatible upstream: test-support's {@link GreedyLlmServer} as its own process (the bench's classpath),
 * whose next token depends on the whole text so far, recording when it wrote each token. Keeps its port across a
 * restart, so HAProxy and the worker in front of it find it again.
 */
final class GreedyUpstream {

    static final String MODEL = "greedy-1";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    final String name;
    private final int port = Ports.freeTcpPort();
    private final Duration gap;
    private final Path log;
    private ChildProcess process;

    GreedyUpstream(String name, Duration gap, Path logs) {
        this.name = name;
        this.gap = gap;
        this.log = logs.resolve(name + ".log");
    }

    /** Starts (again) and waits until it answers {@code GET /health}. */
    void start() {
        String gapText = gap.toMillis() + "ms";
        process = ChildProcess.javaMain(name, List.of("-Xmx256m", "-XX:+UseSerialGC"), GreedyLlmServer.class.getName(),
                List.of("--port=" + port, "--model=" + MODEL, "--gap-min=" + gapText, "--gap-max=" + gapText,
                        "--record-emits=true"), port, log).start();
        Waits.await(name + " answers /health", Duration.ofSeconds(60),
                () -> !process.isAlive() || process.get("/health") != null, null);
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited at start:\n" + process.logTail(20));
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** Streamed completions it is serving now (-1 when it does not answer). */
    int streamsOpen() {
        String body = process.get("/admin/stats");
        return body == null ? -1 : JSON.readTree(body).path("streamsOpen").asInt();
    }

    /** Emit times (epoch µs) by text key since the last call, then forgotten by the upstream. */
    Map<Long, Long> takeEmits() {
        Map<Long, Long> emits = new HashMap<>();
        String body = process.get("/admin/emits");
        if (body != null) {
            JsonNode node = JSON.readTree(body);
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                emits.put(Long.parseLong(entry.getKey()), entry.getValue().asLong());
            }
        }
        return emits;
    }

    /** kill -9; returns System.nanoTime() once sent (it then waits for the exit). */
    long kill9() {
        return process.kill9();
    }

    void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(10));
        }
    }
}
