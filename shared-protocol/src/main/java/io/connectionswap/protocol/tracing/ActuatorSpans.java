package io.connectionswap.protocol.tracing;

import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanExportingPredicate;

/**
 * Keeps the spans of Actuator requests (health probes, the director's health polls of every worker twice a second,
 * Prometheus scrapes) out of the export: with tracing on they would bury the generations' traces. Their metrics are
 * untouched (an {@code ObservationPredicate} would drop those too).
 */
public final class ActuatorSpans implements SpanExportingPredicate {

    private static final String ACTUATOR = "/actuator";

    @Override
    public boolean isExportable(FinishedSpan span) {
        String uri = span.getTags().get("uri");
        if (uri == null) {
            uri = span.getTags().get("http.url");
        }
        return uri == null || !(uri.equals(ACTUATOR) || uri.startsWith(ACTUATOR + "/"));
    }
}
