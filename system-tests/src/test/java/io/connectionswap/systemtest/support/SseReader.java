package io.connectionswap.systemtest.support;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;

/**
 * One streamed gateway completion read on its own thread as it arrives: the chunks' text and the worker of each
 * chunk, whether it ended with {@code [DONE]}, and a way to walk away in the middle (closing the body: the HTTP
 * client goes away).
 */
public final class SseReader implements AutoCloseable {

    private final InputStream body;
    private final StringBuilder text = new StringBuilder();
    private final List<String> workers = new CopyOnWriteArrayList<>();
    private final List<JsonNode> swaps = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Boolean> done = new CompletableFuture<>();
    private volatile int chunks;
    private volatile String error;
    private volatile IOException broken;

    private SseReader(InputStream body) {
        this.body = body;
        Thread reader = new Thread(this::read, "sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Sends {@code json} to {@code path} and reads the event stream (status 200 expected). */
    public static SseReader start(GatewayHttp http, String path, String json) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = http.client().send(http.request(path, json).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String answer = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new AssertionError("expected 200 for " + json + ", got " + response.statusCode() + ": " + answer);
        }
        return new SseReader(response.body());
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring(5).trim();
                if (data.equals("[DONE]")) {
                    done.complete(true);
                    return;
                }
                JsonNode chunk = GatewayHttp.json(data);
                if (chunk.has("error")) {
                    error = chunk.path("error").toString();
                    continue;
                }
                synchronized (text) {
                    text.append(GatewayHttp.text(List.of(chunk)));
                }
                JsonNode extra = chunk.path("x_connection_swap");
                if (extra.has("worker")) {
                    workers.add(extra.path("worker").asString());
                }
                if (extra.has("swap")) {
                    swaps.add(extra.path("swap"));
                }
                chunks++;
            }
            done.complete(false);
        } catch (IOException e) {
            broken = e;
            done.complete(false);
        } catch (RuntimeException e) {
            done.complete(false);
        }
    }

    public int chunks() {
        return chunks;
    }

    public String text() {
        synchronized (text) {
            return text.toString();
        }
    }

    /** The worker of the latest chunk, or null before the first. */
    public String lastWorker() {
        return workers.isEmpty() ? null : workers.get(workers.size() - 1);
    }

    /** The {@code swap} objects of chunks that came right after a swap. */
    public List<JsonNode> swaps() {
        return List.copyOf(swaps);
    }

    /** The SSE error event's error object, or null. */
    public String error() {
        return error;
    }

    /**
     * Why reading the body failed (the connection closed before the chunked body's last chunk: a cut, as curl's exit
     * code 18), or null while it reads or after a proper end.
     */
    public IOException broken() {
        return broken;
    }

    /** Waits until at least {@code count} chunks arrived. */
    public void awaitChunks(int count, Duration timeout) {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> chunks >= count || done.isDone());
        } catch (ConditionTimeoutException e) {
            // reported below
        }
        if (chunks < count) {
            throw new AssertionError("only " + chunks + " of " + count + " chunks within " + timeout
                    + (error != null ? "; error " + error : ""));
        }
    }

    /** Waits for the end of the stream: true when it ended with {@code data: [DONE]}. */
    public boolean awaitDone(Duration timeout) throws Exception {
        return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Walks away: the body is closed, the HTTP client goes away mid-stream. */
    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // gone either way
        }
    }
}
