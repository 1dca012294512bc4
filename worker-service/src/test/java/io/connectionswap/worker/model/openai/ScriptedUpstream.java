package io.connectionswap.worker.model.openai;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Executors;
import java.util.function.Function;
import tools.jackson.databind.json.JsonMapper;

/**
 * An upstream that answers with exactly what a test gives it: the status and raw body of {@code /v1/completions}
 * (an event stream written as is, so tests control every byte) and the status of {@code /v1/models}, or on any path
 * an answer made from each request ({@link #answering}); it records every request. It can hang after the completion's
 * body instead of ending it ({@link #hangAfterBody}), write more of it a while later ({@link #thenAfter}), or break
 * the connection right after it ({@link #breakAfterBody}); it can close a kept-alive connection as a completion
 * request comes on it, unanswered ({@link #closeReusedConnectionOnce}).
 */
final class ScriptedUpstream implements AutoCloseable {

    /** One request as the upstream saw it. */
    record Request(String method, String path, String body, String authorization, String traceparent) {
    }

    /** One answer: its status, Content-Type and body. */
    record Answer(int status, String contentType, String body) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** The answer to each request, by the path of the server's context it came to. */
    private final Map<String, Function<Request, Answer>> scripts = new ConcurrentHashMap<>();
    private volatile int completionStatus = 200;
    private volatile String completionBody = "data: [DONE]\n\n";
    /** The completion answer's Content-Type when it is a 200; null: text/event-stream. */
    private volatile String completionType;
    private volatile int modelsStatus = 200;
    private volatile String retryAfter;
    private volatile boolean hang;
    private volatile boolean breakAfterBody;
    /** The client addresses (host and port: one per connection) of the requests answered so far. */
    private final Set<InetSocketAddress> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closeReused = new AtomicBoolean();
    private final AtomicInteger closedUnanswered = new AtomicInteger();
    /** Written {@link #laterDelay} after the completion's body, then the body ends; null: nothing. */
    private volatile String later;
    private volatile Duration laterDelay;
    private volatile Duration pingEvery;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger abandoned = new AtomicInteger();

    ScriptedUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newCachedThreadPool());
        answering("/v1/completions", request -> new Answer(completionStatus,
                completionStatus != 200 ? "application/json"
                        : completionType != null ? completionType : "text/event-stream", completionBody));
        answering("/v1/models", request -> new Answer(modelsStatus, "application/json",
                modelsStatus == 200 ? "{\"object\":\"list\",\"data\":[{\"id\":\"scripted\",\"object\":\"model\"}]}"
                        : "{\"error\":{\"message\":\"models are unavailable\",\"type\":\"server_error\"}}"));
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /**
     * From now on, answers each request to {@code path} (such as {@code /v1/completions}, or {@code /tokenize} at the
     * server's root) with {@code script} of it, instead of what was set for that path.
     */
    ScriptedUpstream answering(String path, Function<Request, Answer> script) {
        if (scripts.put(path, script) == null) {
            server.createContext(path, this::answer);
        }
        return this;
    }

    /**
     * From now on, serves vLLM's tokenizer ({@code POST /tokenize} at the server's root, and under {@code /v1}): a
     * token per word of the {@code prompt} it is given ({@link #words}).
     */
    ScriptedUpstream wordTokenizer() {
        JsonMapper json = JsonMapper.builder().build();
        Function<Request, Answer> tokenize = request -> new Answer(200, "application/json", "{\"count\":"
                + words(json.readTree(request.body()).path("prompt").asString()) + ",\"max_model_len\":4096,"
                + "\"tokens\":[]}");
        return answering("/tokenize", tokenize).answering("/v1/tokenize", tokenize);
    }

    /** The tokens of {@code text} as {@link #wordTokenizer} counts them: its words. */
    static int words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    ScriptedUpstream completions(int status, String body) {
        completionStatus = status;
        completionBody = body;
        return this;
    }

    /** The Content-Type of the next 200 completion answers (null: text/event-stream). */
    ScriptedUpstream completionType(String contentType) {
        completionType = contentType;
        return this;
    }

    /** The {@code Retry-After} header of the next completion answers (null: none). */
    ScriptedUpstream retryAfter(String value) {
        retryAfter = value;
        return this;
    }

    /**
     * After the completion's body, keep the response open until the client goes away (or this upstream closes),
     * silent or with a {@code : ping} comment every {@code pingEvery} (null: silent).
     */
    ScriptedUpstream hangAfterBody(Duration pingEvery) {
        this.pingEvery = pingEvery;
        hang = true;
        return this;
    }

    /**
     * After the completion's body, the connection breaks: the answer is declared a byte longer than its body and the
     * connection closed short of it, so the client's read of the body fails (an upstream that died right after
     * writing it).
     */
    ScriptedUpstream breakAfterBody() {
        breakAfterBody = true;
        return this;
    }

    /**
     * The next completion request that comes on a connection which has carried a request before is not answered: its
     * connection is closed (a server whose keep-alive timeout ran out as the request came, or a proxy or NAT that
     * had dropped the idle connection). Later requests are answered as usual.
     */
    ScriptedUpstream closeReusedConnectionOnce() {
        closeReused.set(true);
        return this;
    }

    /** Completion requests met by closing their connection ({@link #closeReusedConnectionOnce}). */
    int closedUnanswered() {
        return closedUnanswered.get();
    }

    /** After the completion's body, wait {@code delay}, then write {@code more} (and end, unless it hangs). */
    ScriptedUpstream thenAfter(Duration delay, String more) {
        laterDelay = delay;
        later = more;
        return this;
    }

    /** Completion responses the client closed while this upstream hung (seen through the pings only). */
    int abandoned() {
        return abandoned.get();
    }

    ScriptedUpstream models(int status) {
        modelsStatus = status;
        return this;
    }

    List<Request> requests(String path) {
        return requests.stream().filter(request -> request.path().equals(path)).toList();
    }

    private void answer(HttpExchange exchange) throws IOException {
        Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                exchange.getRequestHeaders().getFirst("Authorization"),
                exchange.getRequestHeaders().getFirst("traceparent"));
        requests.add(request);
        boolean reused = !connections.add(exchange.getRemoteAddress());
        if (reused && exchange.getRequestURI().getPath().endsWith("/completions") && closeReused.compareAndSet(true,
                false)) {
            closedUnanswered.incrementAndGet();
            exchange.close(); // before any answer: the server closes the connection
            return;
        }
        Answer answer = scripts.get(exchange.getHttpContext().getPath()).apply(request);
        int status = answer.status();
        exchange.getResponseHeaders().add("Content-Type", answer.contentType());
        String wait = retryAfter;
        if (wait != null && exchange.getRequestURI().getPath().endsWith("/completions")) {
            exchange.getResponseHeaders().add("Retry-After", wait);
        }
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        boolean breaks = breakAfterBody && status == 200 && exchange.getRequestURI().getPath().endsWith("/completions");
        exchange.sendResponseHeaders(status, breaks ? body.length + 1 : 0); // one byte short: closing breaks it
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
            String more = later;
            if (more != null && status == 200 && exchange.getRequestURI().getPath().endsWith("/completions")) {
                out.flush();
                if (awaitClosed(laterDelay)) {
                    return;
                }
                out.write(more.getBytes(StandardCharsets.UTF_8));
            }
            if (hang && status == 200 && exchange.getRequestURI().getPath().endsWith("/completions")) {
                out.flush();
                hang(out);
            }
        }
    }

    /** Waits {@code delay}, or until this upstream closes (then true). */
    private boolean awaitClosed(Duration delay) {
        try {
            return closed.await(delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void hang(OutputStream out) throws IOException {
        Duration ping = pingEvery;
        try {
            while (!closed.await(ping == null ? 60_000 : ping.toMillis(), TimeUnit.MILLISECONDS)) {
                if (ping != null) {
                    out.write(": ping\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        } catch (IOException e) {
            abandoned.incrementAndGet();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
