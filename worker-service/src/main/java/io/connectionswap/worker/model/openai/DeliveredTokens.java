package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * How many model tokens the delivered text of a resume holds. Each TOKEN frame is one chunk of the upstream's
 * stream, and a chunk may hold several tokens (vLLM with speculative decoding, or {@code --stream-interval} above 1):
 * then the frames a client counted ({@code resumeAfter}) are fewer than the tokens generated, and a resume asking for
 * {@code maxTokens - resumeAfter} would run past the length the client asked for. The upstream's tokenizer
 * ({@code POST /tokenize} of vLLM and SGLang, at the server's root) counts the prompt without and with the delivered
 * text; the difference, never less than the frames, is the tokens delivered. An upstream without {@code /tokenize}
 * (404, 405, 501; TGI's 422) is not asked again; any other failure, or no answer within {@link #TIMEOUT}, leaves the
 * frame count for that resume. It counts the prompt alone for the END of a leg whose upstream sends no usage (one
 * the worker ended at its budget: {@link #promptTokens}). Thread-safe: one per upstream.
 */
final class DeliveredTokens {

    private static final Logger log = LoggerFactory.getLogger(DeliveredTokens.class);
    private static final int MAX_BODY_BYTES = 1 << 20;
    /** The answer's first field, {@code count}, read without the rest (which may be cut). */
    private static final Pattern COUNT = Pattern.compile("\\s*\\{\\s*\"count\"\\s*:\\s*(\\d{1,9})\\s*[,}]");
    /** How long a count may hold the resume up (a tokenizer answers in milliseconds): then the frames count. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final URI tokenizeUri;
    private final AtomicBoolean unsupported = new AtomicBoolean();

    /**
     * What the tokenizer said of a resume's texts.
     *
     * @param delivered the tokens of the delivered text (the frames when not counted)
     * @param prompt    the tokens of the prompt, or null when not counted
     */
    record Counts(int delivered, Integer prompt) {

        /** The frames delivered, nothing counted. */
        static Counts frames(GenerationContext context) {
            return new Counts(context.resumeAfter(), null);
        }
    }

    DeliveredTokens(URI tokenizeUri) {
        this.tokenizeUri = tokenizeUri;
    }

    /**
     * The tokens of {@code context}'s delivered text, and of its prompt: the frame count and no prompt count when the
     * upstream cannot say more. Its requests are handed to {@code inFlight}, which cancels them when the leg is
     * cancelled.
     */
    CompletableFuture<Counts> count(Upstream upstream, GenerationContext context,
                                    Consumer<CompletableFuture<?>> inFlight) {
        int frames = context.resumeAfter();
        if (frames == 0 || unsupported.get()) {
            return CompletableFuture.completedFuture(Counts.frames(context));
        }
        int maxTokens = context.sampling().maxTokens();
        String prompt = CompletionRequestBody.prompt(context, upstream.settings());
        CompletableFuture<Integer> without = tokens(upstream, context, prompt, inFlight);
        CompletableFuture<Counts> counts;
        if (frames >= maxTokens) {
            // every token allowed was delivered (a frame holds at least one): only the prompt is left to count
            counts = without.thenApply(before -> new Counts(maxTokens, before));
        } else {
            CompletableFuture<Integer> with = tokens(upstream, context, prompt + context.deliveredText(), inFlight);
            counts = without.thenCombine(with, (before, after) -> {
                // a merge across the boundary can make the difference smaller than the frames: each frame had a token
                int counted = Math.max(frames, after - before);
                return new Counts(Math.min(counted, maxTokens), before);
            });
        }
        return counts.exceptionally(failure -> {
            uncounted(context, failure, "cannot count the delivered tokens; counting frames");
            return Counts.frames(context);
        });
    }

    /**
     * The tokens of {@code context}'s prompt, or null when the upstream cannot say (no tokenizer, a failure, no answer
     * within {@link #TIMEOUT}). Its request is handed to {@code inFlight}, which cancels it when the leg is cancelled.
     */
    CompletableFuture<Integer> promptTokens(Upstream upstream, GenerationContext context,
                                            Consumer<CompletableFuture<?>> inFlight) {
        if (unsupported.get()) {
            return CompletableFuture.completedFuture(null);
        }
        return tokens(upstream, context, CompletionRequestBody.prompt(context, upstream.settings()), inFlight)
                .exceptionally(failure -> {
                    uncounted(context, failure, "cannot count the prompt's tokens; the end has no token counts");
                    return null;
                });
    }

    private void uncounted(GenerationContext context, Throwable failure, String message) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        LogLine.debug(log).field("generation.id", context.generationId()).field("upstream.url", tokenizeUri)
                .quoted("problem", String.valueOf(cause.getMessage())).log(message);
    }

    private CompletableFuture<Integer> tokens(Upstream upstream, GenerationContext context, String text,
                                              Consumer<CompletableFuture<?>> inFlight) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", upstream.settings().model());
        body.put("prompt", text);
        CompletableFuture<HttpResponse<String>> exchange = upstream.postAside(tokenizeUri,
                upstream.json().writeValueAsBytes(body), TIMEOUT, MAX_BODY_BYTES, context.traceparent(), inFlight);
        return exchange.thenApply(response -> {
            int status = response.statusCode();
            if (status == 404 || status == 405 || status == 422 || status == 501) { // 422: TGI's, another body
                if (unsupported.compareAndSet(false, true)) {
                    LogLine.info(log).field("upstream.url", tokenizeUri).field("status", status)
                            .log("upstream has no tokenizer endpoint; a resume counts the frames delivered as tokens "
                                    + "(right unless a chunk holds several tokens)");
                }
                throw new IllegalStateException("no tokenizer (HTTP " + status + ")");
            }
            return count(upstream, response);
        });
    }

    /**
     * vLLM and SGLang answer {@code {"count": n, "max_model_len": m, "tokens": [...]}}: the token ids of a long prompt
     * pass {@link #MAX_BODY_BYTES} (about 7 bytes a token), where the answer is cut; its {@code count} comes first.
     */
    private static int count(Upstream upstream, HttpResponse<String> response) {
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("HTTP " + response.statusCode());
        }
        Matcher count = COUNT.matcher(response.body());
        if (count.lookingAt()) {
            return Integer.parseInt(count.group(1));
        }
        JsonNode answer = upstream.json().readTree(response.body());
        if (answer.path("count").isInt()) {
            return answer.path("count").asInt();
        }
        if (answer.path("tokens").isArray()) {
            return answer.path("tokens").size();
        }
        throw new IllegalStateException("no count in the tokenizer's answer");
    }
}
