package io.connectionswap.director.tracing;

import io.micrometer.tracing.Span;

/** A {@link LegSpan} around a span of the test's (a mock), for the relay's tests in other packages. */
public final class TestLegSpans {

    private TestLegSpans() {
    }

    public static LegSpan of(Span span) {
        return new LegSpan(span, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    }
}
