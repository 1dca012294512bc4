package io.connectionswap.bench;

import io.connectionswap.testsupport.llm.GreedyLlm;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One streamed completion as an OpenAI client sees it: the chunks, the text they add up to, the finish reason, the
 * {@code [DONE]} marker, an error event, a transport failure, and when each came. Lines arrive from one thread at a
 * time (the HTTP client's); the phase thread reads the volatile fields. What happens per chunk (a latency sample, a
 * kill) is left to a {@link ChunkListener}.
 */
final class CompletionStream {

    /** Told about each chunk that carries text, at its arrival. */
    interface ChunkListener {
        void chunk(CompletionStream stream, String text, long nanos);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ChunkListener NONE = (stream, text, nanos) -> { };

    final String model;
    final String prompt;
    final int maxTokens;
    private final ChunkListener listener;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder errorBody = new StringBuilder();
    volatile int status;
    volatile int chunks;
    volatile String finishReason;
    volatile boolean done;
    volatile String errorEvent;
    volatile String transportError;
    volatile long sentNanos;
    volatile long firstChunkNanos;
    volatile long lastChunkNanos;
    volatile long longestPauseNanos;
    volatile long endedNanos;
    volatile boolean ended;

    CompletionStream(String model, String prompt, int maxTokens, ChunkListener listener) {
        this.model = model;
        this.prompt = prompt;
        this.maxTokens = maxTokens;
        this.listener = listener == null ? NONE : listener;
    }

    String requestJson() {
        return "{\"model\":" + quote(model) + ",\"prompt\":" + quote(prompt) + ",\"max_tokens\":" + maxTokens
                + ",\"stream\":true}";
    }

    void sent(long nanos) {
        sentNanos = nanos;
    }

    void status(int code) {
        status = code;
    }

    /** One line of the response body. */
    void line(String line, long nanos) {
        if (status != 200) {
            errorBody.append(line);
            return;
        }
        if (!line.startsWith("data:")) {
            return; // the blank line between events, comments
        }
        String data = line.substring(5).trim();
        if (data.equals("[DONE]")) {
            done = true;
            return;
        }
        JsonNode event = JSON.readTree(data);
        if (event.has("error")) {
            errorEvent = event.path("error").path("code").asString(event.path("error").path("message").asString("error"));
            return;
        }
        JsonNode choice = event.path("choices").path(0);
        if (choice.isMissingNode()) {
            return; // a usage chunk
        }
        String piece = choice.path("text").asString("");
        if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
            finishReason = choice.path("finish_reason").asString();
        }
        if (piece.isEmpty()) {
            return;
        }
        chunk(piece, nanos);
    }

    /** A chunk of text (the SDK client calls this directly). */
    void chunk(String piece, long nanos) {
        if (chunks == 0) {
            firstChunkNanos = nanos;
        } else {
            longestPauseNanos = Math.max(longestPauseNanos, nanos - lastChunkNanos);
        }
        lastChunkNanos = nanos;
        listener.chunk(this, piece, nanos);
        text.append(piece);
        chunks++;
    }

    void transportFailed(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        transportError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    void ended(long nanos) {
        endedNanos = nanos;
        ended = true;
    }

    /** The text so far (read it once the stream ended, or from the listener's thread). */
    String text() {
        return text.toString();
    }

    /** The prompt and the text before the next chunk: what the upstream keyed that chunk's emit by. */
    long keyOfNextChunk() {
        return GreedyLlm.key(prompt + text);
    }

    String errorBody() {
        return errorBody.toString();
    }

    /** The text an unbroken greedy upstream writes for this prompt. */
    String reference() {
        return GreedyLlm.complete(prompt, maxTokens);
    }

    /** exact: the unbroken text; truncated: a strict beginning of it; error: an HTTP error or any other text. */
    String outcome() {
        String got = text();
        String expected = reference();
        if (status != 200 && status != 0) {
            return "error";
        }
        if (got.equals(expected)) {
            return "exact";
        }
        return expected.startsWith(got) ? "truncated" : "error";
    }

    /** Whether the client got a signal that something failed: a transport error, an error event, an HTTP error. */
    boolean noticed() {
        return transportError != null || errorEvent != null || (status != 200 && status != 0);
    }

    String describe() {
        return String.format(Locale.ROOT, "status=%d chunks=%d finish=%s done=%s error_event=%s transport=%s",
                status, chunks, finishReason, done, errorEvent, transportError);
    }

    private static String quote(String text) {
        return JSON.writeValueAsString(text);
    }
}
