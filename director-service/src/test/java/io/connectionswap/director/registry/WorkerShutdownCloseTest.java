package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.ShutdownCloseWindow;
import io.connectionswap.protocol.quic.testing.StandInQuicServer;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that closes its link with SHUTTING_DOWN (WorkerQuicServer as it drains) over real QUIC on loopback: the
 * registry takes that close as the worker's drain, whether or not its DRAIN message came first (an idle worker's
 * message and close race, and QUIC drops stream data unsent at the close); any other close stays a lost connection.
 */
class WorkerShutdownCloseTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /**
     * A draining worker's socket goes at most this long after it closed its connections with SHUTTING_DOWN, and its
     * server is up until then.
     */
    private static final Duration WORKER_CLOSE_WINDOW = ShutdownCloseWindow.CONNECTION_CLOSE_WAIT;
    /** HealthProperties' rise threshold below: good polls a worker back after failing or draining needs. */
    private static final int RISE_THRESHOLD = 4;
    private static final QuicSettings SETTINGS = new QuicSettings(Duration.ofSeconds(5), 64L << 20, 1L << 20, 1000,
            FrameLimits.DEFAULTS);

    private final EventLoopGroup workerLoop = QuicEventLoops.create("test-worker", 1);
    private final EventLoopGroup directorGroup = QuicEventLoops.create("test-director", 1);
    private final EventLoop directorLoop = directorGroup.next();
    private final List<QuicChannel> workerSideConnections = new CopyOnWriteArrayList<>();
    /** Set once the worker is in its close window: it closes each new connection at once, as WorkerQuicServer does. */
    private final AtomicBoolean workerInItsCloseWindow = new AtomicBoolean();
    /** When each of {@link #workerSideConnections} was accepted ({@link System#nanoTime()}), in the same order. */
    private final List<Long> workerSideAcceptedNanos = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    /** On each of the director's sockets; holds nothing until a test arms it. */
    private final LaterHandshakesHeldUntilTheFirstConnectionCloses laterHandshakes =
            new LaterHandshakesHeldUntilTheFirstConnectionCloses();
    /** Connections the new process at the worker's address accepted (tests of a restart). */
    private final List<QuicChannel> newProcessConnections = new CopyOnWriteArrayList<>();
    private Path pki;
    private QuicServerEndpoint worker;
    /** The new process at the worker's address, once a test restarts it. */
    private QuicServerEndpoint newProcess;
    private WorkerRegistry registry;

    @BeforeEach
    void start(@TempDir Path pki) throws Exception {
        this.pki = pki;
        DevelopmentPki.create(pki);
        worker = StandInQuicServer.worker(pki).limits(SETTINGS).connections(workerConnections())
                .streams(StandInQuicServer.discardingReads()) // heartbeats: no echo needed with a long timeout
                .bind(workerLoop);
        TlsContexts directorTls = TlsContexts.client("director", TlsIdentity.of(pki, "director").material());
        QuicConnector connector = new QuicConnector(directorLoop, SETTINGS, directorTls.clientContext(), false,
                laterHandshakes);
        QuicWorkerConnector workers = new QuicWorkerConnector(List.of(connector), directorLoop, FrameLimits.DEFAULTS,
                Duration.ofMillis(100), Duration.ofMinutes(5), 2, false);
        registry = new WorkerRegistry(directorLoop, Runnable::run, workers,
                TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio", false),
                new HealthProperties(Duration.ofMillis(500), null, 1, 2, RISE_THRESHOLD),
                new DirectorMeters(new SimpleMeterRegistry(), directorLoop));
        registry.onWorkerFailed((failed, reason, detail) -> failures.add(failed.label() + ":" + reason));
    }

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.close();
        }
        if (worker != null) {
            worker.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (newProcess != null) {
            newProcess.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        directorGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aLinkTheWorkerClosesWithShuttingDownIsItsDrainNotALostConnection() {
        healthyWorker();

        try (CapturedLogs logs = CapturedLogs.of(WorkerRegistry.class)) {
            workerClosesItsConnections(ErrorCode.SHUTTING_DOWN, "worker is shutting down");

            await("the link is lost").atMost(DEADLINE).until(() -> !failures.isEmpty());
            onLoop(() -> null);
            assertThat(failures).as("its streams move as a drain").containsExactly("worker-a:drain");
            assertLoggedAsTheWorkersDrain(logs);
        }
    }

    /**
     * The race the drain-by-close covers the other way round: the worker's DRAIN message (its registration stream,
     * another connection) lands after its SHUTTING_DOWN close was taken as the drain. The process is gone; the late
     * message must not make its entry DRAINING again, which no poll or redial ends: a new process at its address would
     * then take streams after one good poll instead of the rise threshold (README: "or that drained and went away").
     */
    @Test
    void aDrainMessageAfterTheShuttingDownCloseLeavesTheGoneWorkerToComeBackAfterTheRiseThreshold() {
        WorkerEndpoint endpoint = healthyWorker();
        // its DRAIN message, late: right after the close is handled, before the link's redial (which this stand-in,
        // still listening, would answer; a drained worker's socket is gone)
        AtomicBoolean lateDrainSent = new AtomicBoolean();
        onLoop(() -> {
            registry.onWorkerFailed((failed, reason, detail) -> {
                if (lateDrainSent.compareAndSet(false, true)) {
                    directorLoop.execute(() -> registry.drain(failed, "worker is shutting down"));
                }
            });
            return null;
        });

        workerClosesItsConnections(ErrorCode.SHUTTING_DOWN, "worker is shutting down");
        await("the link is lost, the late drain sent").atMost(DEADLINE).untilTrue(lateDrainSent);
        onLoop(() -> null);

        assertThat(endpoint.state()).as("drained and gone, as after its close").isEqualTo(WorkerState.UNHEALTHY);
        WorkerEndpoint next = onLoop(() -> registry.register(new WorkerRegistration("worker-a",
                "127.0.0.1:" + worker.localAddress().getPort(), "http://127.0.0.1:1/actuator/health", 50, "i-2",
                List.of("stand-in"))));
        await("the new process's link is up").atMost(DEADLINE).until(next::linkUp);
        onLoop(() -> {
            registry.pollStarted(next);
            registry.pollCompleted(next, PollResult.answered("UP", 200));
            return null;
        });
        assertThat(next.state()).as("a new process where one drained and went away: back after the rise threshold, "
                + "not one good poll").isNotEqualTo(WorkerState.HEALTHY);
    }

    /**
     * A draining worker keeps its server up to {@link #WORKER_CLOSE_WINDOW} after its SHUTTING_DOWN closes, and takes
     * new connections all that time; a restart brings a new process to its address right after. The director's redial
     * must not land in that window: a link to the dying process dies with its socket, unannounced, and the director
     * held it as up (to the link's idle or heartbeat timeout), so the new process's good polls made the entry HEALTHY
     * with its streams going to a link to nobody, and the new process was dialled only once that link timed out.
     */
    @Test
    void aRedialDoesNotReachTheDrainedWorkerInItsCloseWindow() {
        WorkerEndpoint endpoint = healthyWorker();
        int port = worker.localAddress().getPort();
        CompletableFuture<Void> socketGone = new CompletableFuture<>();

        workerClosesItsConnections(ErrorCode.SHUTTING_DOWN, "worker is shutting down");
        workerLoop.schedule(() -> worker.close().addListener(closed -> socketGone.complete(null)),
                WORKER_CLOSE_WINDOW.toNanos(), TimeUnit.NANOSECONDS);
        // the director took the closes as the drain before the window ends: what follows is about its redial
        await("the director took the close as the drain").atMost(DEADLINE)
                .until(() -> failures.contains("worker-a:drain"));
        await("the drained worker's socket is gone").atMost(DEADLINE).until(socketGone::isDone);
        restartAt(port);
        newProcessAnswersItsPolls(endpoint);

        if (endpoint.state() == WorkerState.HEALTHY) {
            // the director's side of a link is up a round trip before the server's (QUIC's handshake), so the new
            // process may list its connection a moment after the director took the link as up
            await("HEALTHY, so taking streams: its link must be one to the process at its address now")
                    .atMost(DEADLINE).until(() -> !newProcessConnections.isEmpty());
            assertThat(workerSideConnections).as("connections the drained worker accepted").hasSize(2);
        }
        await("the director's link is to the new process").atMost(DEADLINE)
                .until(() -> newProcessConnections.size() >= 2 && endpoint.linkUp());
        assertThat(workerSideConnections).as("connections the drained worker accepted: the link's two, none in its "
                + "close window").hasSize(2);
        assertThat(failures).as("a drain, then a restart: no lost connection").containsExactly("worker-a:drain");
    }

    /**
     * A worker restarted at its address: the old process's DRAIN message, late (the registry handles it after the
     * director linked the new process, which has not registered yet and so is still the old one's entry), is about the
     * process that went away. The entry, the new process's now, must not become DRAINING for it (no streams until the
     * new process registers, its streams moved), and comes back after the rise threshold as after any drain.
     */
    @Test
    void aLateDrainOfTheOldProcessDoesNotDrainTheNewOneAtItsAddress() {
        WorkerEndpoint endpoint = healthyWorker();
        int port = worker.localAddress().getPort();

        // no stream left: its closes go out, and its socket right after them, as the restart begins
        CompletableFuture<Void> socketGone = new CompletableFuture<>();
        workerLoop.execute(() -> {
            workerClosesItsConnections(ErrorCode.SHUTTING_DOWN, "worker is shutting down");
            worker.close().addListener(closed -> socketGone.complete(null));
        });
        await("the drained worker's socket is gone").atMost(DEADLINE).until(socketGone::isDone);
        restartAt(port);
        await("the director's link is to the new process").atMost(DEADLINE)
                .until(() -> newProcessConnections.size() >= 2 && endpoint.linkUp());

        registry.drain(endpoint, "worker is shutting down"); // the old process's DRAIN, as its registration stream
        onLoop(() -> null);

        assertThat(endpoint.state()).as("the new process is not draining").isNotEqualTo(WorkerState.DRAINING);
        assertThat(failures).as("streams moved as a drain: the old process's only, at its close")
                .containsExactly("worker-a:drain");
        newProcessAnswersItsPolls(endpoint);
        assertThat(endpoint.state()).as("the new process, back after the rise threshold")
                .isEqualTo(WorkerState.HEALTHY);
    }

    @Test
    void aLinkTheWorkerClosesWithAnotherCodeIsALostConnection() {
        WorkerEndpoint endpoint = healthyWorker();

        workerClosesItsConnections(ErrorCode.UNEXPECTED_MESSAGE, "something broke");

        await("the link is lost").atMost(DEADLINE).until(() -> !failures.isEmpty());
        onLoop(() -> null);
        assertThat(failures).containsExactly("worker-a:connection_lost");
        assertThat(endpoint.state()).isEqualTo(WorkerState.UNHEALTHY);
    }

    /** Registers the stand-in worker, waits for its link, and passes a health poll. */
    /**
     * A director that dials the worker inside its close window (a dial under way as the worker drains, or begun by a
     * registration or a DNS answer) gets its link closed with SHUTTING_DOWN as it comes up (WorkerQuicServer closes
     * every connection made once it closes its connections). That close is the drain again, and the address is
     * redialled at the close window's pace, not in a tight loop of dials that each "succeed" and are closed at once.
     * The window is held here for longer than a worker's, to see that pace.
     */
    @Test
    void aLinkClosedWithShuttingDownAsItComesUpInTheCloseWindowIsRedialledAfterTheWindowNotAtOnce() {
        WorkerEndpoint endpoint = healthyWorker();
        workerInItsCloseWindow.set(true);

        workerClosesItsConnections(ErrorCode.SHUTTING_DOWN, "worker is shutting down");
        // the links dialled in the window: each two connections, dialled together once the one before was closed
        int firstRedial = workerSideConnections.size();
        int redials = 3;
        await("the director redialled the worker in its close window %d times".formatted(redials))
                .atMost(DEADLINE.multipliedBy(2))
                .until(() -> workerSideConnections.size() >= firstRedial + 2 * redials);
        List<Long> dialledAt = new ArrayList<>();
        for (int i = firstRedial; i < firstRedial + 2 * redials; i += 2) {
            dialledAt.add(workerSideAcceptedNanos.get(i));
        }
        for (int i = 1; i < dialledAt.size(); i++) {
            assertThat(Duration.ofNanos(dialledAt.get(i) - dialledAt.get(i - 1)))
                    .as("redial %d came past the worker's close window after the link before it was closed", i)
                    .isGreaterThan(WORKER_CLOSE_WINDOW);
        }

        onLoop(() -> null);
        assertThat(failures).as("each close as the link came up is the drain again, not a lost connection")
                .isNotEmpty().containsOnly("worker-a:drain");
        assertThat(endpoint.state()).as("a worker that closes each link as it comes up takes no streams")
                .isNotEqualTo(WorkerState.HEALTHY);
    }

    /**
     * The race a link dialled in the worker's close window runs: its first connection comes up and the worker closes
     * it with SHUTTING_DOWN (the director reads that close, and closes its side, at once) before the link's other
     * connection finished its handshake, so the link's heartbeat stream on the closed connection cannot open. That
     * close is the worker's drain all the same: a stream that cannot open on a closed connection must not name its
     * own reason, which made it a lost connection (the worker blamed, WARN "worker unhealthy", the streams on it moved
     * as connection_lost, and the redial backing off from 100 ms into the close window instead of after it). Forced
     * here by holding the datagrams of the link's second connection until its first has closed.
     */
    @Test
    void aShuttingDownCloseReadBeforeTheLinksStreamsOpenIsTheDrainNotALostConnection() {
        workerInItsCloseWindow.set(true);
        laterHandshakes.arm();

        try (CapturedLogs logs = CapturedLogs.of(WorkerRegistry.class)) {
            StandInRegistrations.register(registry, "worker-a", "i-1", worker.localAddress().getPort(), DEADLINE);

            await("the link is lost").atMost(DEADLINE).until(() -> !failures.isEmpty());
            onLoop(() -> null);
            assertThat(laterHandshakes.held()).as("datagrams of the link's second connection held until the worker's "
                    + "close of its first was read: the link's streams opened after that close").isPositive();
            assertThat(failures.get(0)).as("the streams on it move as the worker's drain").isEqualTo("worker-a:drain");
            assertThat(failures).as("no lost connection").doesNotContain("worker-a:connection_lost");
            assertLoggedAsTheWorkersDrain(logs);
        }
    }

    /** The worker's connections: each goes into {@link #workerSideConnections}; closed at once in its close window. */
    private ChannelHandler workerConnections() {
        return new ChannelInitializer<QuicChannel>() {
            @Override
            protected void initChannel(QuicChannel connection) {
                workerSideAcceptedNanos.add(System.nanoTime());
                workerSideConnections.add(connection);
                connection.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        if (workerInItsCloseWindow.get()) {
                            closeWith(connection, ErrorCode.SHUTTING_DOWN, "worker is shutting down");
                        }
                        ctx.fireChannelActive();
                    }
                });
            }
        };
    }

    private WorkerEndpoint healthyWorker() {
        return StandInRegistrations.healthy(registry, "worker-a", "i-1", worker.localAddress().getPort(), DEADLINE);
    }

    /** A new process (a stand-in) at the worker's address {@code port}: the worker restarted. */
    private void restartAt(int port) {
        newProcess = StandInQuicServer.worker(pki).limits(SETTINGS).connectionsInto(newProcessConnections)
                .streams(StandInQuicServer.discardingReads()).port(port).bind(workerLoop);
    }

    /** The process at the worker's address answers the rise threshold of health polls UP. */
    private void newProcessAnswersItsPolls(WorkerEndpoint endpoint) {
        onLoop(() -> {
            for (int i = 0; i < RISE_THRESHOLD; i++) {
                registry.pollStarted(endpoint);
                registry.pollCompleted(endpoint, PollResult.answered("UP", 200));
            }
            return null;
        });
    }

    /** What WorkerQuicServer does as it drains (QuicConnections.closeAll): an application close on each connection. */
    private void workerClosesItsConnections(ErrorCode code, String reason) {
        assertThat(workerSideConnections).hasSize(2);
        for (QuicChannel connection : workerSideConnections) {
            closeWith(connection, code, reason);
        }
    }

    private static void closeWith(QuicChannel connection, ErrorCode code, String reason) {
        connection.close(true, code.code(), Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8));
    }

    private <T> T onLoop(Callable<T> action) {
        try {
            return directorLoop.submit(action).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Before the QUIC codec on each of the director's sockets (one loop). Once armed, the first socket to open reads as
     * usual, and the datagrams the others receive are held until that first socket closes (it closes with its QUIC
     * connection), then read: a link's other connections finish their handshake only after its first connection has
     * closed. Disarms itself then.
     */
    @ChannelHandler.Sharable
    private static final class LaterHandshakesHeldUntilTheFirstConnectionCloses extends ChannelInboundHandlerAdapter {
        private volatile boolean armed;
        private final AtomicInteger held = new AtomicInteger();
        /** On the director's loop, as the rest. */
        private Channel first;
        private final List<Map.Entry<ChannelHandlerContext, Object>> holding = new ArrayList<>();

        void arm() {
            armed = true;
        }

        /** How many datagrams it held. */
        int held() {
            return held.get();
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (armed && first == null) {
                first = ctx.channel();
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object datagram) {
            if (armed && first != null && ctx.channel() != first) {
                held.incrementAndGet();
                holding.add(Map.entry(ctx, datagram));
                return;
            }
            ctx.fireChannelRead(datagram);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (armed && ctx.channel() == first) {
                armed = false;
                List<Map.Entry<ChannelHandlerContext, Object>> release = List.copyOf(holding);
                holding.clear();
                ctx.executor().execute(() -> release.forEach(read -> {
                    read.getKey().fireChannelRead(read.getValue());
                    read.getKey().fireChannelReadComplete();
                }));
            }
            ctx.fireChannelInactive();
        }
    }

    /** The drain's line names the worker's close as its reason, and no line blames the worker. */
    private static void assertLoggedAsTheWorkersDrain(CapturedLogs logs) {
        assertThat(logs.events()).as("the drain's line").anySatisfy(event -> assertThat(
                event.getFormattedMessage()).contains("worker draining; moving its streams")
                .contains("reason=\"worker closed the connection: shutting down\""));
        assertThat(logs.events()).as("the worker is not blamed").noneSatisfy(event -> assertThat(
                event.getFormattedMessage()).contains("worker unhealthy"));
    }
}
