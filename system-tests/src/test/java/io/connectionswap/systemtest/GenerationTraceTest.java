package io.connectionswap.systemtest;

import static io.connectionswap.systemtest.support.SpanCollector.service;
import static io.connectionswap.testsupport.tracing.InMemoryTracing.attribute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.tracing.TraceParent;
import io.connectionswap.systemtest.support.GatewayHttp;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.SpanCollector;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Tracing on (README, "Tracing"): a streamed completion through the gateway, the director and a worker that drains
 * in the middle of it is ONE trace, continued from the HTTP caller's {@code traceparent}: the gateway's span, a
 * director span per leg (the first ending in a swap), and a worker span under each. Every role runs in this JVM and
 * exports to one in-process exporter through Spring Boot's own span pipeline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationTraceTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final int MAX_TOKENS = 40;
    private static final String[] TRACING = {"--CONNECTION_SWAP_TRACING=true",
        "--management.opentelemetry.tracing.export.schedule-delay=50ms"};

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("50ms");
    private final SpanCollector spans = new SpanCollector();
    private final Map<String, ConfigurableApplicationContext> workers = new java.util.concurrent.ConcurrentHashMap<>();
    private GatewayHttp gateway;

    @BeforeAll
    void startCluster() {
        cluster.startDirector(spans.initializer(), TRACING);
        workers.put("worker-a", cluster.startWorker("worker-a", 0, spans.initializer(), TRACING));
        workers.put("worker-b", cluster.startWorker("worker-b", 0, spans.initializer(), TRACING));
        await().atMost(DEADLINE).until(() -> cluster.registry().healthyCount() == 2);
        InJvmCluster.Recorder client = cluster.startClient("10", spans.initializer(),
                concat(TRACING, "--CONNECTION_SWAP_CLIENT_DEMO=false"));
        gateway = new GatewayHttp(client.context.getEnvironment().getRequiredProperty("local.server.port",
                Integer.class));
    }

    @Test
    void aGenerationSwappedByADrainingWorkerIsOneTraceFromTheCallerToEveryWorker() throws Exception {
        String prompt = "a traced prompt";
        HttpRequest request = gateway.request("/v1/completions", "{\"model\":\"stand-in\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":" + MAX_TOKENS + ",\"stream\":true}").header("traceparent", CALLER).build();
        HttpResponse<Stream<String>> response = gateway.client().send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);

        List<String> body = new ArrayList<>();
        CompletableFuture<Void> drained = null;
        String firstWorker = null;
        for (String line : (Iterable<String>) response.body()::iterator) {
            body.add(line);
            if (firstWorker == null && line.startsWith("data: {")) {
                firstWorker = GatewayHttp.json(line.substring(5).trim()).path("x_connection_swap").path("worker")
                        .asString(null);
                if (firstWorker != null) {
                    ConfigurableApplicationContext serving = workers.get(firstWorker);
                    drained = CompletableFuture.runAsync(() -> cluster.stop(serving)); // drains: the director swaps
                }
            }
        }
        assertThat(drained).as("a chunk named the serving worker").isNotNull();
        drained.get(DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        List<JsonNode> chunks = GatewayHttp.chunks(String.join("\n", body));
        assertThat(GatewayHttp.text(chunks)).isEqualTo(new DeterministicTokenModel().text(prompt, 1, MAX_TOKENS));
        String otherWorker = firstWorker.equals("worker-a") ? "worker-b" : "worker-a";

        String traceId = TraceParent.traceId(CALLER);
        await().atMost(DEADLINE).untilAsserted(() -> {
            assertThat(named(spans.trace(traceId), "gateway.generation")).hasSize(1);
            assertThat(named(spans.trace(traceId), "director.leg")).hasSizeGreaterThanOrEqualTo(2);
            assertThat(named(spans.trace(traceId), "worker.leg")).hasSizeGreaterThanOrEqualTo(2);
        });
        List<SpanData> trace = spans.trace(traceId);
        System.out.println("trace " + traceId + ":\n" + tree(trace));
        Map<String, SpanData> byId = trace.stream().collect(Collectors.toMap(SpanData::getSpanId, Function.identity()));

        // the gateway: under Boot's HTTP server span, which continues the caller's traceparent
        SpanData generation = named(trace, "gateway.generation").get(0);
        assertThat(service(generation)).isEqualTo("client-service");
        SpanData server = byId.get(generation.getParentSpanId());
        assertThat(server).as("the gateway's parent, Boot's HTTP server span, is in the trace").isNotNull();
        assertThat(server.getParentSpanId()).isEqualTo(TraceParent.parentId(CALLER));
        assertThat(generation.getEvents()).extracting(EventData::getName).contains("swap");
        assertThat(attribute(generation, "swap.reason")).isEqualTo("drain");
        assertThat(attribute(generation, "outcome")).isEqualTo("completed");
        String generationId = attribute(generation, "generation.id");

        // the director: one span per leg, each a child of the gateway's; the first ends in the swap
        List<SpanData> legs = named(trace, "director.leg").stream()
                .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        assertThat(legs).allSatisfy(leg -> {
            assertThat(service(leg)).isEqualTo("director-service");
            assertThat(leg.getParentSpanId()).isEqualTo(generation.getSpanId());
            assertThat(attribute(leg, "generation.id")).isEqualTo(generationId);
        });
        SpanData swapped = legs.get(0);
        assertThat(attribute(swapped, "worker")).isEqualTo(firstWorker);
        assertThat(attribute(swapped, "outcome")).isEqualTo("swapped");
        assertThat(attribute(swapped, "swap.reason")).isEqualTo("drain");
        assertThat(attribute(swapped, "migration")).isEqualTo("0");
        assertThat(swapped.getEvents()).extracting(EventData::getName).contains("swap");
        assertThat(swapped.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        SpanData resumed = legs.get(legs.size() - 1);
        assertThat(attribute(resumed, "worker")).isEqualTo(otherWorker);
        assertThat(attribute(resumed, "outcome")).isEqualTo("completed");
        assertThat(attribute(resumed, "migration")).as("a worker's drain is no migration").isEqualTo("0");
        assertThat(attribute(resumed, "last.seq")).isEqualTo(String.valueOf(MAX_TOKENS));

        // the workers: a span per leg served, each a child of the director's leg that handed it over
        List<SpanData> served = named(trace, "worker.leg");
        assertThat(served).allSatisfy(leg -> {
            assertThat(service(leg)).isEqualTo("worker-service");
            assertThat(byId.get(leg.getParentSpanId())).as("parent of " + leg).isNotNull()
                    .extracting(SpanData::getName).isEqualTo("director.leg");
        });
        SpanData first = served.stream().filter(leg -> leg.getParentSpanId().equals(swapped.getSpanId()))
                .findFirst().orElseThrow();
        assertThat(attribute(first, "worker")).isEqualTo(firstWorker);
        assertThat(attribute(first, "outcome")).isEqualTo("stopped");
        SpanData last = served.stream().filter(leg -> leg.getParentSpanId().equals(resumed.getSpanId()))
                .findFirst().orElseThrow();
        assertThat(attribute(last, "worker")).isEqualTo(otherWorker);
        assertThat(attribute(last, "outcome")).isEqualTo("completed");

        // nothing of this generation went to another trace, and no Actuator request was exported
        assertThat(spans.spans()).filteredOn(span -> generationId.equals(attribute(span, "generation.id")))
                .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(traceId));
        assertThat(spans.spans()).noneSatisfy(span -> assertThat(String.valueOf(attribute(span, "uri")))
                .startsWith("/actuator"));
    }

    /** The trace as an indented tree, for the test's output and failure messages. */
    private static String tree(List<SpanData> trace) {
        StringBuilder out = new StringBuilder();
        java.util.Set<String> ids = trace.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
        trace.stream().filter(span -> !ids.contains(span.getParentSpanId()))
                .forEach(root -> appendTree(out, trace, root, 1));
        return out.toString();
    }

    private static void appendTree(StringBuilder out, List<SpanData> trace, SpanData span, int depth) {
        out.append("  ".repeat(depth)).append(service(span)).append(' ').append(span.getName())
                .append(" outcome=").append(attribute(span, "outcome")).append(" worker=")
                .append(attribute(span, "worker")).append(" events=")
                .append(span.getEvents().stream().map(EventData::getName).toList()).append('\n');
        trace.stream().filter(child -> child.getParentSpanId().equals(span.getSpanId()))
                .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(child -> appendTree(out, trace, child, depth + 1));
    }

    private static List<SpanData> named(List<SpanData> spans, String name) {
        return spans.stream().filter(span -> span.getName().equals(name)).toList();
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
    }
}
