package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.testing.StandInQuicServer;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker whose link has no stream credit left (the worker's MAX_STREAMS reached: at capacity, or streams lingering)
 * over real QUIC on loopback: an open refused for want of credit costs none (Netty's codec takes a stream id before
 * quiche refuses it and never gives it back, and a lost id is credit lost for good), and new streams go to another
 * worker with room instead of being refused.
 */
class WorkerStreamCreditTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final QuicSettings ROOMY = new QuicSettings(Duration.ofSeconds(5), 64L << 20, 1L << 20, 1000,
            FrameLimits.DEFAULTS);
    /** The link's one connection carries its heartbeat stream and {@link #RELAYED} relayed streams at most. */
    private static final int RELAYED = 3;
    private static final QuicSettings SMALL = ROOMY.withMaxBidirectionalStreams(RELAYED + 1);

    private final EventLoopGroup workerLoop = QuicEventLoops.create("test-worker", 1);
    private final EventLoopGroup directorGroup = QuicEventLoops.create("test-director", 2);
    private final EventLoop directorLoop = directorGroup.next();
    /** A second routing loop, for the tests that need two. */
    private final EventLoop otherLoop = directorGroup.next();
    private final SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    private TlsContexts directorTls;
    private final List<QuicServerEndpoint> workers = new ArrayList<>();
    private Path pki;
    private WorkerRegistry registry;

    @BeforeEach
    void start(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        this.pki = pki;
        directorTls = TlsContexts.client("director", TlsIdentity.of(pki, "director").material());
        registry = registry(List.of(directorLoop));
    }

    /** A registry whose links have one connection per routing loop of {@code routingLoops}. */
    private WorkerRegistry registry(List<EventLoop> routingLoops) {
        List<QuicConnector> connectors = routingLoops.stream()
                .map(loop -> new QuicConnector(loop, ROOMY, directorTls.clientContext())).toList();
        QuicWorkerConnector links = new QuicWorkerConnector(connectors, directorLoop, FrameLimits.DEFAULTS,
                Duration.ofMillis(100), Duration.ofMinutes(5), routingLoops.size(), false);
        return new WorkerRegistry(directorLoop, Runnable::run, links,
                TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio", false),
                new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4),
                new DirectorMeters(meterRegistry, directorLoop));
    }

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.close();
        }
        workers.forEach(worker -> worker.close().awaitUninterruptibly(5, TimeUnit.SECONDS));
        directorGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void anOpenRefusedForWantOfStreamCreditCostsNone() {
        WorkerEndpoint worker = healthyWorker("worker-a", SMALL);
        List<QuicStreamChannel> streams = openAll(worker, RELAYED);

        List<Throwable> refusals = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Future<QuicStreamChannel> refused = open(worker);
            await("the open beyond the worker's stream limit fails").atMost(DEADLINE).until(refused::isDone);
            assertThat(refused.isSuccess()).isFalse();
            refusals.add(refused.cause());
        }
        streams.forEach(QuicStreams::finish); // the stand-in worker finishes its side when it reads our FIN

        // the worker gives the credit of the streams it collected back; Netty reads it on the next packet received
        for (int i = 0; i < RELAYED; i++) {
            await("stream " + (i + 1) + " of " + RELAYED + " opens again").atMost(DEADLINE).until(() -> {
                Future<QuicStreamChannel> opened = open(worker);
                opened.await(DEADLINE.toMillis());
                return opened.isSuccess();
            });
        }
        assertThat(refusals).as("each refused open said why").allSatisfy(cause -> assertThat(cause)
                .hasMessageContaining("stream limit is reached"));
    }

    @Test
    void aNewStreamGoesToAWorkerWithRoomWhenAnotherHasNoStreamCreditLeft() {
        WorkerEndpoint full = healthyWorker("worker-a", SMALL);
        WorkerEndpoint roomy = healthyWorker("worker-b", ROOMY);
        List<QuicStreamChannel> fullStreams = openAll(full, RELAYED);

        try (CapturedLogs logs = CapturedLogs.of(StreamRoom.class)) {
            // as the relay does for each new generation: pick a worker, open the stream on its link, on its loop
            for (int i = 0; i < 4; i++) {
                WorkerEndpoint picked = onLoop(() -> registry.pick(null, "stand-in"));
                assertThat(picked).as("the worker with room, not the one at its stream limit").isSameAs(roomy);
                Future<QuicStreamChannel> opened = open(picked);
                await("the stream opens").atMost(DEADLINE).until(opened::isDone);
                assertThat(opened.isSuccess()).as("opened: %s", opened.cause()).isTrue();
            }
            assertThat(full.state()).as("the full worker is at capacity, not failed").isEqualTo(WorkerState.HEALTHY);
            assertThat(limitHits()).as("each pick that found it without credit").isEqualTo(4.0);
            assertThat(logs.events()).as("one WARN for the episode, naming the worker and the streams it holds")
                    .singleElement().satisfies(event -> {
                        assertThat(event.getLevel()).isEqualTo(Level.WARN);
                        assertThat(event.getFormattedMessage()).contains("worker.label=worker-a")
                                .contains("streams=4").contains("worker link has no stream credit left");
                    });

            fullStreams.forEach(QuicStreams::finish);
            await("the worker with credit again takes new streams").atMost(DEADLINE)
                    .until(() -> onLoop(() -> registry.pick(null, "stand-in")) == full);
            assertThat(logs.events()).as("the episode's end").last().satisfies(event -> assertThat(
                    event.getFormattedMessage()).contains("worker.label=worker-a")
                    .contains("worker has stream credit again"));
        }
    }

    /**
     * {@code worker_streams} counts new streams that found a worker's link without credit (README's metrics table):
     * one per stream, however many workers without credit its pick passed over, and whether the pick looked twice
     * (the worker to avoid being the only one with room).
     */
    @Test
    void aStreamThatPassesOverSeveralWorkersWithoutCreditCountsOneHit() {
        WorkerEndpoint fullA = healthyWorker("worker-a", SMALL);
        WorkerEndpoint fullB = healthyWorker("worker-b", SMALL);
        WorkerEndpoint roomy = healthyWorker("worker-c", ROOMY);
        openAll(fullA, RELAYED);
        openAll(fullB, RELAYED);

        for (int i = 0; i < 3; i++) {
            assertThat(onLoop(() -> registry.pick(null, "stand-in"))).isSameAs(roomy);
        }
        assertThat(onLoop(() -> registry.pick("worker-c", "stand-in")))
                .as("the worker to avoid, the only one with room").isSameAs(roomy);

        assertThat(limitHits()).as("one hit per stream routed: 4 streams").isEqualTo(4.0);
    }

    /**
     * Stream credit is per routing loop (each has its own connections to the worker), the WARN/INFO episode per worker:
     * a worker out of credit on one loop only, picked for on both loops in turn (as streams arriving on a director's
     * loops are), is one episode (one WARN), not a WARN and an INFO per pick; it ends once every loop has credit.
     */
    @Test
    void aWorkerOutOfCreditOnOneRoutingLoopOnlyIsOneEpisode() {
        registry.close();
        registry = registry(List.of(directorLoop, otherLoop));
        WorkerEndpoint full = healthyWorker("worker-a", SMALL);
        healthyWorker("worker-b", ROOMY);
        List<QuicStreamChannel> fullStreams = openAll(full, RELAYED); // on directorLoop: its connection only

        try (CapturedLogs logs = CapturedLogs.of(StreamRoom.class)) {
            for (int i = 0; i < 4; i++) {
                assertThat(onLoop(() -> registry.pick(null, "stand-in"))).as("no room on this loop").isNotSameAs(full);
                onLoop(otherLoop, () -> registry.pick(null, "stand-in"));
            }
            assertThat(logs.events()).as("one WARN for the episode, no INFO while one loop has no credit")
                    .singleElement().satisfies(event -> assertThat(event.getLevel()).isEqualTo(Level.WARN));

            fullStreams.forEach(QuicStreams::finish);
            await("the worker with credit again on every loop ends the episode").atMost(DEADLINE).until(() -> {
                onLoop(() -> registry.pick(null, "stand-in"));
                return logs.events().size() == 2;
            });
            assertThat(logs.events()).last().satisfies(event -> assertThat(event.getFormattedMessage())
                    .contains("worker has stream credit again"));
        }
    }

    @Test
    void withNoWorkerWithRoomTheStreamIsRefusedAtOnceNamingTheLimit() {
        WorkerEndpoint full = healthyWorker("worker-a", SMALL);
        openAll(full, RELAYED);

        WorkerEndpoint picked = onLoop(() -> registry.pick(null, "stand-in"));
        assertThat(picked).as("still picked: its refusal tells the client to ask again").isSameAs(full);
        Future<QuicStreamChannel> refused = open(picked);
        assertThat(refused.isDone()).as("failed at once, not waiting for credit").isTrue();
        assertThat(refused.cause()).isInstanceOf(StreamLimitReachedException.class)
                .hasMessageContaining("its stream limit is reached").hasMessageContaining("4 streams held on its link");
        assertThat(full.linkUp()).as("the link is fine").isTrue();
    }

    /**
     * A relay session waits for its worker stream only while {@code Relay.open} runs (its ASSIGNING phase, which the
     * stall watch skips: nothing but the session lifetime would end a session left there): an open on a routing loop is
     * decided before that loop's task ends, with credit or without, on each loop's own connection. Netty's codec takes
     * the stream id, creates the stream channel and registers it within the call
     * ({@code QuicheQuicChannel.connectStream}), and an open without credit is refused at once without trying. From the
     * open on, the stall watch bounds the hand-off (the first-token allowance; SessionWatchTest).
     */
    @Test
    void anOpenOnARoutingLoopIsDecidedWithinTheTaskThatAskedForIt() {
        registry.close();
        registry = registry(List.of(directorLoop, otherLoop));
        WorkerEndpoint worker = healthyWorker("worker-a", SMALL);

        for (EventLoop loop : List.of(directorLoop, otherLoop)) {
            for (int i = 0; i <= RELAYED; i++) { // the last one finds no credit left on this loop's connection
                Opening opening = onLoop(loop, () -> {
                    Future<QuicStreamChannel> stream = registry.openStream(worker, StandInQuicServer.discardingReads())
                            .stream();
                    return new Opening(stream, stream.isDone());
                });
                assertThat(opening.decidedInTheTask()).as("open %s of %s on %s decided within the task", i + 1,
                        RELAYED + 1, loop).isTrue();
                if (i < RELAYED) {
                    assertThat(opening.stream().isSuccess()).as("opened: %s", opening.stream().cause()).isTrue();
                    assertThat(opening.stream().getNow().eventLoop()).isSameAs(loop);
                    opening.stream().getNow().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
                } else {
                    assertThat(opening.stream().cause()).isInstanceOf(StreamLimitReachedException.class);
                }
            }
        }
    }

    /** A stream opening, and whether it was decided when the task that asked for it ended. */
    private record Opening(Future<QuicStreamChannel> stream, boolean decidedInTheTask) {
    }

    private double limitHits() {
        return meterRegistry.get("connection.swap.limit.hits").tag("limit", DirectorMeters.Limit.WORKER_STREAMS)
                .counter().count();
    }

    /** Starts a stand-in worker with {@code settings}, registers it, waits for its link and passes a health poll. */
    private WorkerEndpoint healthyWorker(String label, QuicSettings settings) {
        return StandInRegistrations.healthy(registry, label, "i-" + label, standInWorker(settings).localAddress()
                .getPort(), DEADLINE);
    }

    /**
     * A worker QUIC server (mutual TLS) allowing the director {@code settings}' bidirectional streams per connection;
     * it reads and drops what comes, and finishes a stream once the director finished its side.
     */
    private QuicServerEndpoint standInWorker(QuicSettings settings) {
        QuicServerEndpoint worker = StandInQuicServer.worker(pki).limits(settings)
                .streams(StandInQuicServer.discardingReadsFinishingAfterThePeer()).bind(workerLoop);
        workers.add(worker);
        return worker;
    }

    /** Opens {@code count} relayed streams to {@code worker}, each told to the worker with a byte, and waits for them. */
    private List<QuicStreamChannel> openAll(WorkerEndpoint worker, int count) {
        List<QuicStreamChannel> streams = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Future<QuicStreamChannel> opened = open(worker);
            await("a stream opens").atMost(DEADLINE).until(opened::isDone);
            assertThat(opened.isSuccess()).as("stream %s of %s opened: %s", i + 1, count, opened.cause()).isTrue();
            QuicStreamChannel stream = opened.getNow();
            stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1})); // the worker learns of a stream when it reads
            streams.add(stream);
        }
        return streams;
    }

    /** Opens a relayed stream to {@code worker} on the routing loop, as the relay does. */
    private Future<QuicStreamChannel> open(WorkerEndpoint worker) {
        return onLoop(() -> registry.openStream(worker, StandInQuicServer.discardingReads()).stream());
    }

    private <T> T onLoop(Callable<T> action) {
        return onLoop(directorLoop, action);
    }

    private <T> T onLoop(EventLoop loop, Callable<T> action) {
        try {
            return loop.submit(action).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
