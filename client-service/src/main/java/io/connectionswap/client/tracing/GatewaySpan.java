package io.connectionswap.client.tracing;

import io.connectionswap.protocol.tracing.W3cSpans;
import io.connectionswap.swapclient.GenerationEvent;
import io.micrometer.tracing.Span;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SignalType;

/**
 * The span of one generation at the gateway, from the HTTP request to the generation's end: the parent of every leg
 * of the generation at the director, before and after each swap. A swap adds the event {@code swap}; the span ends
 * when the generation's events end (completed, failed, or cancelled by an HTTP client that went away).
 */
public final class GatewaySpan {

    private final Span span;
    private final String traceparent;
    private final AtomicBoolean ended = new AtomicBoolean();
    private int swaps;
    private boolean assigned;

    GatewaySpan(Span span, String traceparent) {
        this.span = span;
        this.traceparent = traceparent;
    }

    /** This span as the parent of the generation's legs: the {@code traceparent} of its request. */
    public String traceparent() {
        return traceparent;
    }

    /** {@code events} of the generation, recorded on this span as they pass; the span ends with them. */
    public Flux<GenerationEvent> record(Flux<GenerationEvent> events) {
        return events.doOnNext(this::event)
                .doOnError(failure -> end("failed", failure))
                .doFinally(signal -> end(signal == SignalType.CANCEL ? "cancelled" : "completed", null));
    }

    private void event(GenerationEvent event) {
        if (event instanceof GenerationEvent.Swapped swapped) {
            swaps++;
            span.event("swap");
            span.tag("swaps", swaps);
            span.tag("swap.reason", swapped.reason());
            if (swapped.fromWorker() != null) {
                span.tag("swap.from", swapped.fromWorker());
            }
            span.tag("swap.to", swapped.toWorker());
        } else if (event instanceof GenerationEvent.Assigned first && !assigned) {
            assigned = true;
            span.tag("worker", first.worker()); // the first; each swap says where it went
        } else if (event instanceof GenerationEvent.Completed completed) {
            span.tag("tokens", completed.tokens());
            if (completed.finishReason() != null) {
                span.tag("finish.reason", completed.finishReason());
            }
        }
    }

    private void end(String outcome, Throwable failure) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        span.tag("outcome", outcome);
        if (failure != null) {
            W3cSpans.failed(span, failure.getMessage() == null ? failure.toString() : failure.getMessage());
        }
        span.end();
    }
}
