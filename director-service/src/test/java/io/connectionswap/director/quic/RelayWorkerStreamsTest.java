package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.director.relay.RelaySession;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The streams the real {@link Relay} opens to workers ({@link RelayFixture}): one that cannot be opened, and one
 * opened on a link that another link replaces as the worker's before the stream is open.
 */
class RelayWorkerStreamsTest extends RelayFixture {

    /**
     * A worker still in rotation whose link cannot open the stream (its connection is closing and the registry has
     * not heard of the loss yet): the worker never received the generation, so nothing about the generation failed.
     * Relay.open turned it into a swap all the same (stream_error, held against the worker), so the client paid a
     * migration, and a generation that had already moved as often as allowed ended with a final MIGRATION_LIMIT error,
     * although another healthy worker (worker-b) could take it. The client is now told to ask again
     * (NO_HEALTHY_WORKER, no migration).
     */
    @Test
    void aStreamThatCouldNotEvenBeOpenedOnItsWorkerIsNoMigrationOfTheGeneration() {
        healthyWorker("worker-a");
        healthyWorker("worker-b");
        brokenLinks.add("worker-a");
        GenerationRequest request = GenerationRequest.completion("g-1", "p", 5);
        // moved 3 times already (the default limit): a 4th worker is still allowed to serve it
        GenerationRequest resumed = new GenerationRequest("g-1", null, "p", null, request.sampling(), 2, "ab",
                "worker-c", 3, null, false);
        for (int i = 0; i < 2; i++) { // the selector round-robins between equals: one of these lands on worker-a
            relay.open(clientStream(), "conn-1", resumed);
            loop.runPendingTasks();
        }

        assertThat(meterRegistry.find("connection.swap.migration.limit").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum())
                .as("generations ended with MIGRATION_LIMIT though their worker never got the stream").isZero();
        assertThat(meterRegistry.find("connection.swap.swaps").tag("reason", "stream_error").tag("worker", "worker-a")
                .counters().stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum())
                .as("swaps held against worker-a for a stream it never received").isZero();
        assertThat(generations("error")).isZero();
    }

    /**
     * The client of a stream that could not be opened on its worker is told NO_HEALTHY_WORKER and asks again, as when no
     * worker is healthy; {@code connection_swap_no_healthy_worker_total} (README: streams refused because no worker
     * was healthy) did not count it, so a dashboard showed clients backing off with the counter flat.
     */
    @Test
    void aStreamThatCouldNotBeOpenedCountsAsRefusedForWantOfAHealthyWorker() {
        healthyWorker("worker-a");
        brokenLinks.add("worker-a");

        relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 5));
        loop.runPendingTasks();

        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(1);
    }

    /**
     * A worker whose link has no stream credit left (at its QUIC stream limit: its opens would fail at once) is
     * passed over while another has room: every new generation goes to worker-b, none is refused, and worker-a stays
     * in rotation.
     */
    @Test
    void aGenerationGoesToAWorkerWithRoomWhenItsFirstChoiceHasNoStreamCreditLeft() {
        WorkerEndpoint full = healthyWorker("worker-a");
        healthyWorker("worker-b");
        fullLinks.add("worker-a");

        for (int i = 0; i < 4; i++) { // the selector would round-robin between the two equals
            relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-" + i, "p", 5));
            loop.runPendingTasks();
        }

        assertThat(workerStreams.keySet()).containsExactly("worker-b");
        assertThat(workerStreams.get("worker-b")).hasSize(4);
        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isZero();
        assertThat(meterRegistry.get("connection.swap.limit.hits").tag("limit", "worker_streams").counter().count())
                .isEqualTo(4);
        assertThat(full.eligible()).as("at capacity, not failed").isTrue();
    }

    /**
     * With no worker with room, the generation is refused at once with NO_HEALTHY_WORKER (the client asks again), its
     * reason naming the worker and its stream limit; the line is INFO, the episode's WARN having said it once.
     */
    @Test
    void withNoWorkerWithRoomTheGenerationIsRefusedNamingTheWorkerAndItsStreamLimit() {
        healthyWorker("worker-a");
        fullLinks.add("worker-a");

        try (CapturedLogs logs = CapturedLogs.of(RelaySession.class)) {
            relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 5));
            loop.runPendingTasks();

            assertThat(logs.events()).singleElement().satisfies(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.INFO);
                assertThat(event.getFormattedMessage()).contains(
                        "err=\"cannot open a stream to worker worker-a: its stream limit is reached");
            });
        }
        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(1);
    }

    /**
     * A worker found through DNS registers the token stream while a stream to it is opening on its link without token
     * streams: the link with token streams replaces it as the worker's link before the stream is open. The stream was
     * taken for one of the new link's: a client too slow for it had the worker sent PAUSE on a stream whose tokens
     * come on the stream itself, which the worker does not read there, and the stream went on being read, the
     * director holding what the client could not take. A stream keeps the kind of the link it opened on: its reading
     * stops.
     */
    @Test
    void aStreamOpenedOnAPlainLinkAsTheTokenStreamLinkReplacesItIsHeldBackByNotReadingIt() {
        HostPort address = new HostPort("127.0.0.1", 62001);
        registry.discovered(Set.of(address), new DiscoveryProperties("worker-headless:62001", Duration.ofSeconds(5),
                8081, "/actuator/health", Duration.ofSeconds(1)));
        loop.runPendingTasks();
        WorkerEndpoint worker = registry.workers().iterator().next();
        registry.pollCompleted(worker, PollResult.answered("UP", 200));
        loop.runPendingTasks();
        assertThat(worker.tokenStream()).as("the link dialled before the worker registered").isFalse();
        EmbeddedQuicStream client = clientStream();
        client.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // the client reads slower than tokens come
        holdOpenings = true;
        relay.open(client, "conn-1", GenerationRequest.completion("g-1", "p", 3));
        loop.runPendingTasks();

        registry.register(new WorkerRegistration("worker-a", address.toString(),
                "http://127.0.0.1:8081/actuator/health", 50, "i-a", List.of("stand-in"),
                List.of(WorkerRegistration.TOKEN_STREAM)));
        loop.runPendingTasks();
        assertThat(worker.tokenStream()).as("the worker's link now: the replacement").isTrue();
        heldOpenings.forEach(Runnable::run);
        EmbeddedQuicStream stream = workerStream(address.toString(), 0);
        fromWorker(stream, new Connected("worker-a", "conn-1", 1, "g-1", 0, "stand-in"));

        assertThat(stream.config().isAutoRead()).as("the worker stream is no longer read").isFalse();
        assertThat(framesWritten(stream)).as("frames the director sent the worker")
                .containsExactly(FrameType.ASSIGNMENT);
    }

    /**
     * A worker that begins a frame of a type only a client or the director sends (GENERATE, ASSIGNMENT), announcing a
     * request's size: the decoder on the director's worker streams took the director's own request limit (4 MB by
     * default), so it waited for, and held, the whole frame before the session dropped it as unexpected. Every stream
     * to a hostile worker could make the director hold that much: thousands of streams, gigabytes. A worker sends no
     * request, so its streams now take every frame type at a worker frame's size: the header is refused at once and
     * the stream moves (stream_error).
     */
    @Test
    void aWorkerAnnouncingARequestSizedFrameIsRefusedAtItsHeader() {
        healthyWorker("worker-a");
        relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-1", "p", 5));
        EmbeddedQuicStream stream = workerStream("worker-a", 0);

        // a GENERATE header announcing 60 000 bytes (within this fixture's request limit, past its frame limit)
        stream.writeInbound(io.netty.buffer.Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(60_000)
                .writeZero(100));
        loop.runPendingTasks();

        assertThat(meterRegistry.find("connection.swap.swaps").tag("reason", "stream_error").tag("worker", "worker-a")
                .counters().stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum())
                .as("the stream moved at the frame's header").isEqualTo(1);
        assertThat(relay.activeSessions()).isZero();
    }

    /** The types of the frames written on {@code stream} (one frame per write), released. */
    private static List<FrameType> framesWritten(EmbeddedQuicStream stream) {
        List<FrameType> types = new ArrayList<>();
        ByteBuf written;
        while ((written = stream.readOutbound()) != null) {
            types.add(FrameType.fromCode(written.getUnsignedByte(written.readerIndex())));
            written.release();
        }
        return types;
    }
}
