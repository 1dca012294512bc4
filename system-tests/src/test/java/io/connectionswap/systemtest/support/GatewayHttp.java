package io.connectionswap.systemtest.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Plain HTTP to client-service's OpenAI-compatible gateway, and the reading of its Server-Sent Events. */
public final class GatewayHttp {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;

    public GatewayHttp(int port) {
        this.port = port;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public HttpClient client() {
        return http;
    }

    public HttpRequest.Builder request(String path, String json) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    /** POSTs {@code json} and waits for the whole answer. */
    public HttpResponse<String> post(String path, String json) {
        return send(request(path, json).build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    /** The JSON payloads of an SSE body's {@code data:} lines, up to {@code [DONE]}; fails when it is missing. */
    public static List<JsonNode> chunks(String sseBody) {
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : sseBody.split("\n")) {
            if (!line.startsWith("data:")) {
                continue;
            }
            String data = line.substring(5).trim();
            if (data.equals("[DONE]")) {
                return chunks;
            }
            chunks.add(JSON.readTree(data));
        }
        throw new AssertionError("stream did not end with data: [DONE]: " + tail(sseBody));
    }

    /** The text of a completion or chat stream: every chunk's {@code text} or {@code delta.content}, in order. */
    public static String text(List<JsonNode> chunks) {
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            JsonNode choice = chunk.path("choices").path(0);
            if (choice.has("text")) {
                text.append(choice.get("text").asString());
            } else if (choice.path("delta").has("content")) {
                text.append(choice.path("delta").get("content").asString());
            }
        }
        return text.toString();
    }

    public static JsonNode json(String body) {
        return JSON.readTree(body);
    }

    private static String tail(String text) {
        return text.length() < 600 ? text : "..." + text.substring(text.length() - 600);
    }
}
