package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters;
import static io.connectionswap.testsupport.tracing.InMemoryTracing.attribute;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerSource;
import io.connectionswap.director.tracing.LegSpan;
import io.connectionswap.director.tracing.RelayTracing;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.tracing.TraceParent;
import io.connectionswap.testsupport.tracing.InMemoryTracing;
import io.netty.buffer.ByteBuf;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A leg's span on the director: continued from the request, ended once with what happened, a swap as an event. */
class RelaySessionTracingTest {

    private static final String GATEWAY = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final InMemoryTracing tracing = new InMemoryTracing();
    private final RelayTracing relayTracing = new RelayTracing(tracing.tracer(), tracing.propagator());
    private final FakeClient client = new FakeClient();
    private final FakeWorker workerSide = new FakeWorker();
    private final WorkerEndpoint worker = new WorkerEndpoint("worker-a", new HostPort("127.0.0.1", 62001),
            URI.create("http://127.0.0.1:1/actuator/health"), Duration.ofMillis(50), "i-1", "127.0.0.1",
            WorkerSource.REGISTRATION, List.of("stand-in"));

    @AfterEach
    void close() {
        client.relayed.forEach(ByteBuf::release);
        tracing.close();
    }

    @Test
    void aCompletedLegIsOneSpanInTheCallersTraceAndTheWorkerGetsItAsParent() {
        RelaySession session = relaying(GenerationRequest.completion("g-1", "p", 2).withTraceparent(GATEWAY));
        String handedOver = workerSide.assignment.request().traceparent();
        session.fromWorker(TestFrames.frame(new Connected("worker-a", "conn-1", 7, "g-1", 0, "stand-in")));
        session.fromWorker(TestFrames.frame(new Token(1, "a")));
        session.fromWorker(TestFrames.frame(new Token(2, "b")));
        session.fromWorker(TestFrames.frame(new End("g-1", 2, "length", null)));

        SpanData leg = tracing.span(RelayTracing.LEG_SPAN);
        assertThat(leg.getTraceId()).isEqualTo(TraceParent.traceId(GATEWAY));
        assertThat(leg.getParentSpanId()).isEqualTo(TraceParent.parentId(GATEWAY));
        assertThat(leg.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(TraceParent.parentId(handedOver)).as("the worker's parent is this leg").isEqualTo(leg.getSpanId());
        assertThat(attribute(leg, "generation.id")).isEqualTo("g-1");
        assertThat(attribute(leg, "worker")).isEqualTo("worker-a");
        assertThat(attribute(leg, "migration")).isEqualTo("0");
        assertThat(attribute(leg, "outcome")).isEqualTo("completed");
        assertThat(attribute(leg, "last.seq")).isEqualTo("2");
        assertThat(leg.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
        assertThat(leg.getEvents()).isEmpty();
    }

    @Test
    void aSwapEndsTheLegWithASwapEventAndTheResumedLegIsASiblingInTheSameTrace() {
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 5).withTraceparent(GATEWAY);
        RelaySession first = relaying(request);
        first.fromWorker(TestFrames.frame(new Token(1, "a")));
        first.swap(SwapReason.HEALTH, "health poll http 503 DOWN");
        first.swap(SwapReason.STALL, "a second signal changes nothing");

        RelaySession resumed = relaying(request.resumedAfter(1, "a", "worker-a"));
        resumed.clientGone();

        List<SpanData> legs = tracing.spans();
        assertThat(legs).hasSize(2).allSatisfy(leg -> {
            assertThat(leg.getName()).isEqualTo(RelayTracing.LEG_SPAN);
            assertThat(leg.getTraceId()).isEqualTo(TraceParent.traceId(GATEWAY));
            assertThat(leg.getParentSpanId()).isEqualTo(TraceParent.parentId(GATEWAY));
        });
        SpanData swapped = legs.get(0);
        assertThat(attribute(swapped, "outcome")).isEqualTo("swapped");
        assertThat(attribute(swapped, "swap.reason")).isEqualTo("health");
        assertThat(attribute(swapped, "swap.detail")).isEqualTo("health poll http 503 DOWN");
        assertThat(attribute(swapped, "last.seq")).isEqualTo("1");
        assertThat(swapped.getEvents()).extracting(EventData::getName).contains("swap");
        assertThat(swapped.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        SpanData next = legs.get(1);
        assertThat(attribute(next, "migration")).isEqualTo("1");
        assertThat(attribute(next, "resume.after")).isEqualTo("1");
        assertThat(attribute(next, "avoid.worker")).isEqualTo("worker-a");
        assertThat(attribute(next, "outcome")).isEqualTo("client_gone");
    }

    @Test
    void theLastAllowedMigrationEndsTheLegWithTheMigrationLimit() {
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 5).withTraceparent(GATEWAY)
                .resumedAfter(0, "", "w").resumedAfter(0, "", "w").resumedAfter(0, "", "w");
        relaying(request).swap(SwapReason.CONNECTION_LOST, "gone");

        SpanData leg = tracing.span(RelayTracing.LEG_SPAN);
        assertThat(attribute(leg, "outcome")).isEqualTo("migration_limit");
        assertThat(leg.getEvents()).extracting(EventData::getName).contains("migration limit");
        assertThat(client.error.code()).isEqualTo(ErrorCode.MIGRATION_LIMIT);
    }

    @Test
    void withoutACallerTheLegStartsATrace() {
        relaying(GenerationRequest.completion("g-1", "p", 5)).lifetimeExceeded("lived 1h");

        SpanData leg = tracing.span(RelayTracing.LEG_SPAN);
        assertThat(leg.getParentSpanContext().isValid()).isFalse();
        assertThat(attribute(leg, "outcome")).isEqualTo("timeout");
        assertThat(leg.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(TraceParent.traceId(workerSide.assignment.request().traceparent())).isEqualTo(leg.getTraceId());
    }

    /** What {@code Relay.open} does with tracing on: a leg span, its traceparent in the request the worker gets. */
    private RelaySession relaying(GenerationRequest request) {
        LegSpan span = relayTracing.startLeg(7, "conn-1", request);
        span.assigned(worker.label(), worker.address().toString());
        RelaySession session = new RelaySession(7, "conn-1", client, request.withTraceparent(span.traceparent()),
                worker, new NoEvents(), 3, span);
        session.workerStreamOpened(workerSide);
        return session;
    }

    private static final class NoEvents implements SessionEvents {
        @Override
        public void sessionEnded(RelaySession session) {
        }

        @Override
        public void swapped(RelaySession session, String reason) {
        }

        @Override
        public void requestFailed(RelaySession session, ErrorCode code) {
        }

        @Override
        public void workerDraining(RelaySession session, String detail) {
        }

        @Override
        public void migrationLimitReached(RelaySession session, String reason) {
        }

        @Override
        public void generationFinished(RelaySession session, DirectorMeters.Finish finish) {
        }

        @Override
        public void tokenRelayed(RelaySession session, boolean firstOfSession) {
        }
    }
}
