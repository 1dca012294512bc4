package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * The HTTP exchange of one leg's completion: its request, sent once more when the connection it went on was closed
 * before any answer ({@link StaleConnectionRetry}); an answer that brings no event stream (the upstream unreachable,
 * a refusal: {@link CompletionAnswer}) fails the leg; cancelling it closes the upstream's stream (the upstream sees the
 * connection close and stops generating). Confined to the leg's serial executor.
 */
final class LegExchange {

    private final Upstream upstream;
    private final GenerationContext context;
    private final URI uri;
    private final UpstreamErrors errors;
    private final SerialExecutor serial;
    private final LegBody body;
    private final LegLifecycle leg;
    private CompletableFuture<HttpResponse<String>> exchange;

    /** {@code body}: the leg's body, cancelled with the exchange; {@code leg}: its lifecycle, failed here. */
    LegExchange(LegScope scope, LegBody body, LegLifecycle leg) {
        this.upstream = scope.upstream();
        this.context = scope.context();
        this.uri = scope.uri();
        this.errors = scope.errors();
        this.serial = scope.serial();
        this.body = body;
        this.leg = leg;
    }

    /** The request of the leg's completion, for {@code maxTokens} tokens. */
    HttpRequest request(int maxTokens) {
        return upstream.post(uri, CompletionRequestBody.json(upstream.json(), context, upstream.settings(), maxTokens),
                "text/event-stream", upstream.settings().firstTokenTimeout(), context.traceparent());
    }

    /** Sends {@code request}; the lines of a 2xx answer's body go to {@code lines}. */
    void send(HttpRequest request, Flow.Subscriber<String> lines) {
        try {
            // sent once more if the connection was closed before any answer; the first-token clock goes on
            exchange = upstream.send(request, info -> CompletionAnswer.body(info, lines));
        } catch (RuntimeException e) {
            leg.fail(errors.failed("cannot send the request to upstream: " + errors.quote(e.toString()), e));
            return;
        }
        exchange.whenComplete((response, failure) -> serial.execute(() -> completed(response, failure)));
    }

    /** Cancels the exchange and its body. */
    void cancel() {
        body.cancel();
        if (exchange != null) {
            exchange.cancel(true);
        }
    }

    private void completed(HttpResponse<String> response, Throwable failure) {
        if (leg.over()) {
            return;
        }
        if (failure != null) {
            if (!body.subscribed()) {
                // no answer at all: refused, timed out, reset before the headers (and again, if it was sent again)
                upstream.unreachable().run();
                leg.fail(errors.forException(failure, upstream.settings().firstTokenTimeout()));
            }
            // else: the event stream broke; its lines bring the failure (LegLines.onError) after the
            // lines read before it, a final chunk among them, which acting on it here would pre-empt
            return;
        }
        ModelException refused = CompletionAnswer.failure(response, upstream, errors);
        if (refused != null) {
            leg.fail(refused);
        }
        // else: the body's lines decide (LegLines.bodyEnded ran before this)
    }
}
