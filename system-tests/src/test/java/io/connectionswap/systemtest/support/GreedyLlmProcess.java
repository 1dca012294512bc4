package io.connectionswap.systemtest.support;

import static org.awaitility.Awaitility.await;

import io.connectionswap.testsupport.llm.Behaviour;
import io.connectionswap.testsupport.llm.GreedyLlmServer;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.Launch;
import io.connectionswap.testsupport.process.ManagedProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link GreedyLlmServer} as its own OS process (started from the test classpath: test-support and Jackson), the
 * OpenAI-compatible upstream of workers run with {@code CONNECTION_SWAP_MODEL_BACKEND=openai}. Its behaviour (time
 * to first token, gaps, injected 5xx, 4xx and cut streams) is changed at run time over HTTP.
 */
public final class GreedyLlmProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final int port;
    private final String model;
    private final ManagedProcess process;

    private GreedyLlmProcess(int port, String model, ManagedProcess process) {
        this.port = port;
        this.model = model;
        this.process = process;
    }

    /** Starts {@code name} serving {@code model} with the given token gaps, and waits until it listens. */
    public static GreedyLlmProcess start(String name, Path logDirectory, String model, String gapMin, String gapMax) {
        int port = Ports.freeTcpPort();
        List<String> command = Launch.javaMain(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                classpath(), GreedyLlmServer.class.getName(), List.of("--port=" + port, "--model=" + model,
                        "--gap-min=" + gapMin, "--gap-max=" + gapMax));
        ManagedProcess process = new ManagedProcess(Launch.of(name, command, logDirectory.resolve(name + ".log"))).start();
        GreedyLlmProcess llm = new GreedyLlmProcess(port, model, process);
        await(name + " listens").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(name + " exited: " + llm.logText());
                    }
                    return llm.logText().contains("greedy-llm listening on 127.0.0.1:" + port);
                });
        return llm;
    }

    /** The jars and class directories the server needs: test-support and Jackson (3 and its 2.x annotations). */
    private static String classpath() {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> type : new Class<?>[] {GreedyLlmServer.class, JsonMapper.class, tools.jackson.core.JsonParser.class,
                com.fasterxml.jackson.annotation.JsonInclude.class}) {
            try {
                entries.add(Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            } catch (URISyntaxException e) {
                throw new IllegalStateException("cannot locate " + type, e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    public String name() {
        return process.name();
    }

    /** The environment of a worker with this server as its OpenAI-compatible upstream. */
    public String[] workerEnv() {
        return new String[] {"CONNECTION_SWAP_MODEL_BACKEND=openai", "CONNECTION_SWAP_UPSTREAM_URL=" + baseUrl(),
                "CONNECTION_SWAP_UPSTREAM_MODEL=" + model, "CONNECTION_SWAP_UPSTREAM_HEALTH_INTERVAL=500ms"};
    }

    /** {@code http://127.0.0.1:<port>/v1}: a worker's {@code CONNECTION_SWAP_UPSTREAM_URL}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** Changes time to first token, gaps and injected failures from the next request on. */
    public void behaviour(Behaviour behaviour) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/behaviour"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(behaviour))).build());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(name() + " refused behaviour " + behaviour + ": " + response.body());
        }
    }

    /** Completion requests this server received so far. */
    public int completions() {
        return stats().path("completions").asInt();
    }

    /** Streamed completions being served now. */
    public int streamsOpen() {
        return stats().path("streamsOpen").asInt();
    }

    private JsonNode stats() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/stats"))
                .GET().build());
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(name() + " does not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String logText() {
        return process.logText();
    }

    /** SIGTERM, then SIGKILL when it has not exited after 10 s. */
    @Override
    public void close() {
        process.stop(Duration.ofSeconds(10));
    }
}
