package io.connectionswap.testsupport.llm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small OpenAI-compatible server for tests and the benchmark: {@code POST /v1/completions} (streamed as Server-Sent
 * Events or as one JSON body), {@code GET /v1/models}, {@code GET /health}. Its text comes from {@link GreedyLlm}:
 * the next token depends on the whole text so far, as a greedy LLM's does. Run it as its own process:
 *
 * <pre>
 * java -cp test-support/target/classes:&lt;jackson&gt; io.connectionswap.testsupport.llm.GreedyLlmServer \
 *      --port=0 --model=greedy-1 --ttft=0ms --gap-min=5ms --gap-max=5ms
 * </pre>
 *
 * It prints {@code greedy-llm listening on 127.0.0.1:<port>} once it serves. {@code POST /admin/behaviour} with a
 * {@link Behaviour} JSON body changes time to first token, gaps and injected failures (5xx, 4xx, a cut stream);
 * {@code GET /admin/stats} counts requests and streams. Started with {@code --record-emits=true}, it also notes when it
 * wrote each streamed token (wall clock, microseconds), by {@link GreedyLlm#key} of the text before the token, and
 * {@code GET /admin/emits} hands those notes over and forgets them: the benchmark's per-chunk latency.
 */
public final class GreedyLlmServer implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "greedy-llm");
        thread.setDaemon(true);
        return thread;
    });
    private final String model;
    private final AtomicReference<Behaviour> behaviour;
    private final AtomicInteger completions = new AtomicInteger();
    private final AtomicInteger streamsOpen = new AtomicInteger();
    /** Emit times (epoch microseconds) by key of the text before the token; null: not recorded. */
    private final AtomicReference<Map<Long, Long>> emits;

    private GreedyLlmServer(HttpServer server, String model, Behaviour initial, boolean recordEmits) {
        this.server = server;
        this.model = model;
        this.behaviour = new AtomicReference<>(initial);
        this.emits = recordEmits ? new AtomicReference<>(new ConcurrentHashMap<>()) : null;
    }

    /** Starts on {@code 127.0.0.1:port} (0: a free port). */
    public static GreedyLlmServer start(int port, String model, Behaviour behaviour) throws IOException {
        return start(port, model, behaviour, false);
    }

    /** Starts on {@code 127.0.0.1:port}; with {@code recordEmits}, notes when each streamed token was written. */
    public static GreedyLlmServer start(int port, String model, Behaviour behaviour, boolean recordEmits)
            throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
        GreedyLlmServer llm = new GreedyLlmServer(http, model, behaviour, recordEmits);
        http.setExecutor(llm.threads);
        http.createContext("/v1/completions", llm::completions);
        http.createContext("/v1/models", llm::models);
        http.createContext("/health", exchange -> llm.send(exchange, 200, Map.of("status", "UP")));
        http.createContext("/admin/behaviour", llm::changeBehaviour);
        http.createContext("/admin/stats", exchange -> llm.send(exchange, 200, Map.of(
                "completions", llm.completions.get(), "streamsOpen", llm.streamsOpen.get())));
        http.createContext("/admin/emits", llm::takeEmits);
        http.start();
        return llm;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:<port>/v1}: what an OpenAI client (or a worker's upstream setting) is given. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    public void behaviour(Behaviour newBehaviour) {
        behaviour.set(newBehaviour);
    }

    public int completions() {
        return completions.get();
    }

    public int streamsOpen() {
        return streamsOpen.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    private void models(HttpExchange exchange) throws IOException {
        send(exchange, 200, Map.of("object", "list", "data", List.of(Map.of("id", model, "object", "model",
                "created", 0, "owned_by", "connection-swap-tests"))));
    }

    /** The emit notes since the last call, {@code {"<key>": epochMicros}}, then forgotten. */
    private void takeEmits(HttpExchange exchange) throws IOException {
        if (emits == null) {
            send(exchange, 404, error("started without --record-emits=true", "invalid_request_error"));
            return;
        }
        Map<Long, Long> taken = emits.getAndSet(new ConcurrentHashMap<>());
        Map<String, Long> body = new LinkedHashMap<>();
        taken.forEach((key, micros) -> body.put(Long.toString(key), micros));
        send(exchange, 200, body);
    }

    private void changeBehaviour(HttpExchange exchange) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            send(exchange, 405, error("use POST", "invalid_request_error"));
            return;
        }
        try {
            Behaviour next = JSON.readValue(exchange.getRequestBody(), Behaviour.class);
            behaviour.set(next);
            send(exchange, 200, next);
        } catch (RuntimeException e) {
            send(exchange, 400, error("bad behaviour: " + e.getMessage(), "invalid_request_error"));
        }
    }

    private void completions(HttpExchange exchange) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            send(exchange, 405, error("use POST", "invalid_request_error"));
            return;
        }
        completions.incrementAndGet();
        Behaviour now = behaviour.get();
        JsonNode body;
        try {
            body = JSON.readTree(exchange.getRequestBody());
        } catch (RuntimeException e) {
            send(exchange, 400, error("malformed JSON: " + e.getMessage(), "invalid_request_error"));
            return;
        }
        if (now.failWith5xx()) {
            send(exchange, 503, error("injected failure", "server_error"));
            return;
        }
        if (now.rejectWith4xx()) {
            send(exchange, 400, error("injected rejection", "invalid_request_error"));
            return;
        }
        String requestedModel = body.path("model").asString(model);
        if (!model.equals(requestedModel)) {
            send(exchange, 404, error("model '" + requestedModel + "' does not exist", "invalid_request_error"));
            return;
        }
        JsonNode promptNode = body.path("prompt");
        int maxTokens = body.path("max_tokens").asInt(16);
        if (!promptNode.isString() || maxTokens <= 0) {
            send(exchange, 400, error("prompt (a string) and max_tokens > 0 are required", "invalid_request_error"));
            return;
        }
        List<String> stop = new ArrayList<>();
        body.path("stop").forEach(node -> stop.add(node.asString()));
        if (body.path("stop").isString()) {
            stop.add(body.path("stop").asString());
        }
        String prompt = promptNode.asString();
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        if (body.path("stream").asBoolean(false)) {
            stream(exchange, prompt, maxTokens, stop, includeUsage, now);
        } else {
            whole(exchange, prompt, maxTokens, stop);
        }
    }

    private void whole(HttpExchange exchange, String prompt, int maxTokens, List<String> stop) throws IOException {
        StringBuilder text = new StringBuilder(prompt);
        String finish = "length";
        int produced = 0;
        for (; produced < maxTokens; produced++) {
            String token = GreedyLlm.next(text.toString());
            if (completesStop(text, prompt.length(), token, stop)) {
                finish = "stop";
                break;
            }
            text.append(token);
        }
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("text", text.substring(prompt.length()));
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        Map<String, Object> response = completion(List.of(choice));
        response.put("usage", usage(prompt, produced));
        send(exchange, 200, response);
    }

    private void stream(HttpExchange exchange, String prompt, int maxTokens, List<String> stop, boolean includeUsage,
                        Behaviour now) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        streamsOpen.incrementAndGet();
        String id = "cmpl-" + UUID.randomUUID();
        try (OutputStream out = exchange.getResponseBody()) {
            sleep(now.ttftMillis());
            StringBuilder text = new StringBuilder(prompt);
            String finish = "length";
            int produced = 0;
            for (; produced < maxTokens; produced++) {
                if (produced > 0) {
                    sleep(ThreadLocalRandom.current().nextLong(now.gapMinMillis(), now.gapMaxMillis() + 1));
                }
                if (now.cutAfterTokens() > 0 && produced == now.cutAfterTokens()) {
                    exchange.close(); // the connection dies mid-stream, without [DONE]
                    return;
                }
                if (now.hugeChunkAfterTokens() > 0 && produced == now.hugeChunkAfterTokens()) {
                    event(out, chunk(id, "x".repeat(Behaviour.HUGE_CHUNK_CHARS), null));
                }
                String token = GreedyLlm.next(text.toString());
                if (completesStop(text, prompt.length(), token, stop)) {
                    finish = "stop";
                    break;
                }
                if (emits != null) {
                    emits.get().put(GreedyLlm.key(text.toString()), epochMicros());
                }
                text.append(token);
                event(out, chunk(id, token, null));
            }
            event(out, chunk(id, "", finish));
            if (includeUsage) {
                Map<String, Object> usage = chunkBase(id);
                usage.put("choices", List.of());
                usage.put("usage", usage(prompt, produced));
                event(out, usage);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the client went away: stop generating
        } finally {
            streamsOpen.decrementAndGet();
        }
    }

    private static boolean completesStop(StringBuilder text, int promptLength, String token, List<String> stop) {
        if (stop.isEmpty()) {
            return false;
        }
        String generated = text.substring(promptLength) + token;
        return stop.stream().anyMatch(generated::contains);
    }

    private Map<String, Object> chunk(String id, String token, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("text", token);
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        Map<String, Object> chunk = chunkBase(id);
        chunk.put("choices", List.of(choice));
        return chunk;
    }

    private Map<String, Object> chunkBase(String id) {
        Map<String, Object> chunk = new LinkedHashMap<>();
        chunk.put("id", id);
        chunk.put("object", "text_completion");
        chunk.put("created", Instant.now().getEpochSecond());
        chunk.put("model", model);
        return chunk;
    }

    private Map<String, Object> completion(List<Map<String, Object>> choices) {
        Map<String, Object> response = chunkBase("cmpl-" + UUID.randomUUID());
        response.put("choices", choices);
        return response;
    }

    private static Map<String, Object> usage(String prompt, int completionTokens) {
        int promptTokens = prompt.isBlank() ? 0 : prompt.trim().split("\\s+").length;
        return Map.of("prompt_tokens", promptTokens, "completion_tokens", completionTokens,
                "total_tokens", promptTokens + completionTokens);
    }

    private static Map<String, Object> error(String message, String type) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("code", null);
        return Map.of("error", error);
    }

    private static void event(OutputStream out, Object data) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code --port=0 --model=greedy-1 --ttft=0ms --gap-min=5ms --gap-max=5ms [--record-emits=true]}. */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of("port", "0", "model", "greedy-1", "ttft", "0ms",
                "gap-min", "5ms", "gap-max", "5ms", "record-emits", "false"));
        for (String arg : args) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                throw new IllegalArgumentException("unknown argument " + arg + " (expected --name=value)");
            }
            options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        Behaviour behaviour = new Behaviour(millis(options.get("ttft")), millis(options.get("gap-min")),
                millis(options.get("gap-max")), false, false, 0);
        GreedyLlmServer server = start(Integer.parseInt(options.get("port")), options.get("model"), behaviour,
                Boolean.parseBoolean(options.get("record-emits")));
        System.out.println("greedy-llm listening on 127.0.0.1:" + server.port() + " model=" + options.get("model"));
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        Thread.currentThread().join();
    }

    private static long millis(String duration) {
        String text = duration.trim().toLowerCase();
        if (text.endsWith("ms")) {
            return Long.parseLong(text.substring(0, text.length() - 2));
        }
        if (text.endsWith("s")) {
            return Long.parseLong(text.substring(0, text.length() - 1)) * 1000;
        }
        return Long.parseLong(text);
    }
}
