package io.connectionswap.systemtest.support;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An in-process span exporter shared by every role of an {@link InJvmCluster}: registered in each application as a
 * {@link SpanExporter} bean, so spans reach it the way they reach OTLP in production (Boot's batch processor, its
 * export predicates). A role that stops shuts its exporters down; this one keeps what it has and goes on collecting.
 */
public final class SpanCollector implements SpanExporter {

    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final ConcurrentLinkedQueue<SpanData> spans = new ConcurrentLinkedQueue<>();

    /** Registers this collector in an application before it starts. */
    public ApplicationContextInitializer<ConfigurableApplicationContext> initializer() {
        return context -> context.getBeanFactory().registerSingleton("testSpanCollector", this);
    }

    /** Every span exported so far, by every role. */
    public List<SpanData> spans() {
        return List.copyOf(spans);
    }

    /** The spans of trace {@code traceId}. */
    public List<SpanData> trace(String traceId) {
        return spans.stream().filter(span -> span.getTraceId().equals(traceId)).toList();
    }

    /** The application ({@code spring.application.name}) that recorded {@code span}. */
    public static String service(SpanData span) {
        return span.getResource().getAttribute(SERVICE_NAME);
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
        spans.addAll(batch);
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess(); // a stopped role's: the others still export here
    }
}
