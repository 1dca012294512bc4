package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * How a resume after the generation's last token ends (the worker failed between that TOKEN and END): nothing is
 * left to generate, but the generation must end as the unbroken one did. An upstream cuts the token that completes a
 * stop sequence at the stop and says {@code stop}; so the unbroken generation stopped if the text after the delivered
 * text begins with a stop sequence, and ran out of tokens ({@code length}) otherwise. The upstream is asked for the
 * next few tokens, not streamed and without stop sequences, and the answer is looked at here; none of its text goes to
 * the client. Asked only when the request has stop sequences; when the upstream does not answer, the end is
 * {@code length}.
 */
final class StopAfterLastToken {

    private static final Logger log = LoggerFactory.getLogger(StopAfterLastToken.class);
    /** Tokens asked for: the longest stop sequence's characters (a token has one at least), at most this many. */
    static final int MAX_LOOK_AHEAD_TOKENS = 32;
    private static final int MAX_BODY_BYTES = 64 * 1024;

    private StopAfterLastToken() {
    }

    /**
     * Whether the generation of {@code context}, resumed after its last token, ended at a stop sequence; the request
     * is handed to {@code inFlight}, which cancels it when the leg is cancelled.
     */
    static CompletableFuture<Boolean> ask(Upstream upstream, GenerationContext context,
                                          Consumer<CompletableFuture<?>> inFlight) {
        List<String> stops = context.sampling().stopSequences();
        if (stops.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        int longest = stops.stream().mapToInt(String::length).max().orElse(1);
        UpstreamSettings settings = upstream.settings();
        byte[] body = CompletionRequestBody.lookAhead(upstream.json(), context, settings,
                Math.min(Math.max(longest, 1), MAX_LOOK_AHEAD_TOKENS));
        CompletableFuture<HttpResponse<String>> exchange;
        try {
            exchange = upstream.postAside(settings.completionsUri(), body, settings.firstTokenTimeout(),
                    MAX_BODY_BYTES, context.traceparent(), inFlight);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(unanswered(context, e.toString()));
        }
        return exchange.handle((response, failure) -> {
            if (failure instanceof CancellationException) {
                return false; // the leg was cancelled: nobody waits for the answer
            }
            if (failure != null) {
                return unanswered(context, failure.toString());
            }
            if (response.statusCode() / 100 != 2) {
                return unanswered(context, "HTTP " + response.statusCode());
            }
            try {
                JsonNode text = upstream.json().readTree(response.body()).path("choices").path(0).path("text");
                if (!text.isString()) {
                    return unanswered(context, "no choices[0].text in its answer");
                }
                return beginsWithAStop(text.asString(), stops);
            } catch (RuntimeException e) {
                return unanswered(context, "an answer that is no completion: " + e.getMessage());
            }
        });
    }

    static boolean beginsWithAStop(String continuation, List<String> stops) {
        return stops.stream().anyMatch(stop -> !stop.isEmpty() && continuation.startsWith(stop));
    }

    private static boolean unanswered(GenerationContext context, String problem) {
        LogLine.warn(log).field("generation.id", context.generationId()).quoted("problem", problem)
                .log("upstream did not say what follows the last token of a resumed generation; it ends with length");
        return false;
    }
}
