package io.connectionswap.protocol.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Spans of a generation's hops, continued from and handed on as W3C {@code traceparent} strings, on Micrometer
 * Tracing (any bridge). Never touches the tracer's current span: a hop's span is started with an explicit parent and
 * ended by its owner, so nothing leaks into thread-locals of the event loops. Thread-safe.
 */
public final class W3cSpans {

    private static final Propagator.Getter<String> TRACEPARENT_ONLY =
            (carrier, key) -> TraceParent.HEADER.equals(key) ? carrier : null;

    private final Tracer tracer;
    private final Propagator propagator;

    public W3cSpans(Tracer tracer, Propagator propagator) {
        if (tracer == null || propagator == null) {
            throw new IllegalArgumentException("tracer and propagator are required");
        }
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /**
     * A span continuing {@code traceparent} (the caller's span is its remote parent, the trace id and sampling
     * decision are the caller's), or the root of a new trace when it is null or not a valid W3C value.
     */
    public Span.Builder continuing(String traceparent) {
        if (!TraceParent.isValid(traceparent)) {
            return tracer.spanBuilder().setNoParent();
        }
        return propagator.extract(traceparent, TRACEPARENT_ONLY);
    }

    /** A span whose parent is {@code parent}, a span of this process. */
    public Span.Builder childOf(Span parent) {
        return tracer.spanBuilder().setParent(parent.context());
    }

    /** The {@code traceparent} naming {@code span} as the parent of the next hop. */
    public String traceparent(Span span) {
        String[] value = new String[1];
        propagator.inject(span.context(), value, (carrier, key, field) -> {
            if (TraceParent.HEADER.equals(key)) {
                carrier[0] = field;
            }
        });
        return value[0] != null ? value[0] : format(span.context());
    }

    /**
     * Marks {@code span} failed (the tracer's error status) with {@code message}, e.g. the leg of a generation whose
     * worker failed. No stack trace is taken: the message says it all.
     */
    public static void failed(Span span, String message) {
        span.error(new HopFailure(message));
    }

    /** When the configured propagation writes no {@code traceparent} (B3 only, say): the W3C form all the same. */
    private static String format(TraceContext context) {
        String traceId = context.traceId();
        if (traceId.length() < 32) {
            traceId = "0".repeat(32 - traceId.length()) + traceId; // a 64-bit trace id
        }
        return "00-" + traceId + "-" + context.spanId() + (Boolean.TRUE.equals(context.sampled()) ? "-01" : "-00");
    }

    /** What a failed hop records as its error: the failure as the log line says it, without a stack trace. */
    public static final class HopFailure extends RuntimeException {
        HopFailure(String message) {
            super(message, null, false, false);
        }
    }
}
