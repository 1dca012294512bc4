package io.connectionswap.worker.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.health.FailureSimulation;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.connectionswap.worker.registration.DirectorRegistration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.util.unit.DataSize;

/**
 * The worker's QUIC server on real Netty QUIC over loopback, with a director-side connection dialled to it: when the
 * server closes (its drain ended, with or without streams left), the director must learn at once through a QUIC
 * CONNECTION_CLOSE, not at its link heartbeat timeout (3.5 s) or the connection's idle timeout.
 */
class WorkerQuicServerCloseTest {

    /** Well under the director's link heartbeat timeout (3.5 s): the close is sent, not guessed from silence. */
    private static final Duration PROMPTLY = Duration.ofMillis(1500);

    @TempDir
    Path pki;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private EventLoopGroup workerLoop;
    private EventLoopGroup directorLoop;
    private WorkerQuicServer server;
    private QuicChannel director;
    private QuicConnections connections;

    @BeforeEach
    void loops() {
        workerLoop = QuicEventLoops.create("test-worker", 1);
        directorLoop = QuicEventLoops.create("test-director", 1);
    }

    @AfterEach
    void close() {
        if (director != null) {
            director.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (server != null && server.isRunning()) {
            server.stop(() -> { });
        }
        workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        directorLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aDrainThatTimesOutWithAStreamOpenClosesTheDirectorsConnectionAtOnce() throws Exception {
        ActiveStreams active = new ActiveStreams();
        CompletableFuture<QuicConnectionCloseEvent> closeEvent = startAndConnect(active, Duration.ofMillis(200));
        QuicStreamChannel stream = director.createStream(QuicStreamType.BIDIRECTIONAL, new Discard())
                .get(20, TimeUnit.SECONDS);
        GenerationRequest request = GenerationRequest.completion("gen-hang", "a prompt", 10).withModel("silent");
        stream.writeAndFlush(MessageCodec.encode(stream.alloc(), new WorkerAssignment(7, "conn-1", request)))
                .sync();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> active.count() == 1);

        try (CapturedLogs logs = CapturedLogs.of(WorkerQuicServer.class)) {
            stopAndAssertTheDirectorLearnsAtOnce(closeEvent);
            assertThat(logs.events()).anySatisfy(event -> assertThat(event.getFormattedMessage())
                    .contains("connections=1").contains("closing quic connections to directors"));
        }
    }

    @Test
    void aShutdownWithNoStreamOpenClosesTheDirectorsConnectionAtOnce() throws Exception {
        CompletableFuture<QuicConnectionCloseEvent> closeEvent = startAndConnect(new ActiveStreams(),
                Duration.ofSeconds(20));

        stopAndAssertTheDirectorLearnsAtOnce(closeEvent);
    }

    private void stopAndAssertTheDirectorLearnsAtOnce(CompletableFuture<QuicConnectionCloseEvent> closeEvent)
            throws Exception {
        CompletableFuture<Long> stopped = new CompletableFuture<>();
        server.stop(() -> stopped.complete(System.nanoTime()));
        long stoppedAt = stopped.get(30, TimeUnit.SECONDS);

        Awaitility.await("the director's connection closed well under the link heartbeat timeout")
                .atMost(PROMPTLY).until(() -> !director.isActive());
        long closedAt = System.nanoTime();
        assertThat(Duration.ofNanos(closedAt - stoppedAt)).isLessThan(PROMPTLY);
        QuicConnectionCloseEvent event = closeEvent.get(1, TimeUnit.SECONDS);
        assertThat(event.isApplicationClose()).as("an application close, not a transport error").isTrue();
        assertThat(event.error()).isEqualTo(ErrorCode.SHUTTING_DOWN.code());
        assertThat(new String(event.reason(), StandardCharsets.UTF_8)).contains("worker-t").contains("shutting down");
    }

    /**
     * A director that dials the worker after its server began closing its connections, while the server's socket is
     * still up (up to {@link WorkerQuicServer#CONNECTION_CLOSE_WAIT}): its connection is closed at once with the same
     * SHUTTING_DOWN close the others got, not left open to die with the process unannounced (the director would link
     * to a dying worker and learn only at its heartbeat timeout, or as a lost connection). The window is held open
     * by a connection of the worker's whose close cannot run yet (its loop is busy), as a slow close would hold it.
     */
    @Test
    void aDirectorThatConnectsWhileTheServerClosesItsConnectionsIsClosedWithShuttingDownAtOnce() throws Exception {
        startAndConnect(new ActiveStreams(), Duration.ofSeconds(20));
        EventLoopGroup busyLoop = QuicEventLoops.create("test-busy", 1);
        CountDownLatch releaseBusyLoop = new CountDownLatch(1);
        try {
            QuicChannel slowToClose = connector(busyLoop).connect(workerAddress(), "localhost", null, null)
                    .get(20, TimeUnit.SECONDS);
            connections.add(slowToClose);
            busyLoop.execute(() -> awaitQuietly(releaseBusyLoop));

            CompletableFuture<Long> stopped = new CompletableFuture<>();
            server.stop(() -> stopped.complete(System.nanoTime()));
            // no stream open: the stop has closed the connections open now and waits for slowToClose's close
            CompletableFuture<QuicConnectionCloseEvent> lateClose = new CompletableFuture<>();
            connector(directorLoop).connect(workerAddress(), "localhost", closeEventInto(lateClose), null)
                    .get(20, TimeUnit.SECONDS);
            assertThat(stopped).as("the late director connected inside the close window").isNotDone();

            Awaitility.await("the late director's connection closed by the worker while its server is up")
                    .atMost(Duration.ofSeconds(5)).until(lateClose::isDone);
            assertThat(stopped).as("the worker's server still up when the late connection was closed").isNotDone();
            QuicConnectionCloseEvent event = lateClose.get();
            assertThat(event.isApplicationClose()).as("an application close, not a transport error").isTrue();
            assertThat(event.error()).isEqualTo(ErrorCode.SHUTTING_DOWN.code());
            assertThat(new String(event.reason(), StandardCharsets.UTF_8)).contains("worker-t")
                    .contains("shutting down");
        } finally {
            releaseBusyLoop.countDown();
            busyLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * The worker's stop takes its drain, then up to {@link WorkerQuicServer#CONNECTION_CLOSE_WAIT} for the
     * connections' closes, then the socket's close: a drain timeout that leaves only a second of Spring's shutdown
     * phase leaves nothing for the rest, and Spring cuts the stop short. The start-up warning must count the wait.
     */
    @Test
    void aDrainThatLeavesNoTimeInThePhaseForTheConnectionClosesIsWarnedAbout() throws Exception {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("spring.lifecycle.timeout-per-shutdown-phase", "45s");
        environment.setConversionService(new ApplicationConversionService());
        try (CapturedLogs logs = CapturedLogs.of(WorkerQuicServer.class)) {
            startServer(new ActiveStreams(), Duration.ofSeconds(44), environment);
            assertThat(logs.events()).as("a 44 s drain + %s close wait + the socket's close in a 45 s phase",
                            WorkerQuicServer.CONNECTION_CLOSE_WAIT)
                    .anySatisfy(event -> assertThat(event.getFormattedMessage())
                            .contains("the drain may outlast Spring's shutdown phase")
                            .contains("shutdown.phase.timeout=PT45S"));
        }
    }

    /** Starts the worker's server with {@code drainTimeout} and dials it as the director does; the close it sees. */
    private CompletableFuture<QuicConnectionCloseEvent> startAndConnect(ActiveStreams active, Duration drainTimeout)
            throws Exception {
        connections = startServer(active, drainTimeout, new StandardEnvironment());
        CompletableFuture<QuicConnectionCloseEvent> closeEvent = new CompletableFuture<>();
        director = connector(directorLoop).connect(workerAddress(), "localhost", closeEventInto(closeEvent), null)
                .get(20, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> connections.size() == 1);
        return closeEvent;
    }

    /** Dials as the director does, on {@code loop}. */
    private QuicConnector connector(EventLoopGroup loop) {
        // the director's own idle timeout (10 s) is far past the bound: only a CONNECTION_CLOSE closes it in time
        QuicSettings directorSettings = new QuicSettings(Duration.ofSeconds(10), 64L * 1024 * 1024, 64 * 1024, 100,
                FrameLimits.DEFAULTS);
        TlsContexts directorTls = TlsContexts.client("director", TlsIdentity.of(pki, "director").material());
        return new QuicConnector(loop, directorSettings, directorTls.clientContext());
    }

    private InetSocketAddress workerAddress() {
        return new InetSocketAddress("127.0.0.1", server.localAddress().getPort());
    }

    /** A connection handler that completes {@code closeEvent} with the close the peer sends. */
    private static ChannelInboundHandlerAdapter closeEventInto(
            CompletableFuture<QuicConnectionCloseEvent> closeEvent) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof QuicConnectionCloseEvent close) {
                    closeEvent.complete(close);
                }
                ctx.fireUserEventTriggered(event);
            }
        };
    }

    /** Holds the loop it runs on until {@code release} (bounded, so that a failing test still ends). */
    private static void awaitQuietly(CountDownLatch release) {
        try {
            release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the worker's server with {@code drainTimeout} in {@code environment}; the connections it counts. */
    private QuicConnections startServer(ActiveStreams active, Duration drainTimeout, ConfigurableEnvironment environment)
            throws Exception {
        DevelopmentPki.create(pki);
        WorkerProperties properties = new WorkerProperties("127.0.0.1:0", null, null, "worker-t", Duration.ofMillis(5),
                null, Duration.ofSeconds(10), "127.0.0.1:61000", false, Duration.ofSeconds(10), drainTimeout,
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(3500), 1, DataSize.ofMegabytes(4));
        QuicConnections connections = new QuicConnections();
        WorkerStreamContext context = new WorkerStreamContext(properties, silent(),
                new WorkerMeters(registry, active, workerLoop, connections), active,
                new FailureSimulation(properties));
        TlsContexts workerTls = TlsContexts.server("worker", TlsIdentity.of(pki, "worker").material(),
                ClientCertificates.only("director"));
        DirectorRegistration registration = new DirectorRegistration(properties, workerTls, QuicSettings.DEFAULTS,
                workerLoop, silent(), connections);
        server = new WorkerQuicServer(properties, workerTls, QuicSettings.DEFAULTS, workerLoop, context, active,
                registration, event -> { }, environment, connections);
        server.start();
        return connections;
    }

    /** A model named {@code silent} whose generations never give a token: a stream stays open through the drain. */
    private static ModelBackend silent() {
        return new ModelBackend() {
            @Override
            public String name() {
                return "silent";
            }

            @Override
            public List<String> models() {
                return List.of("silent");
            }

            @Override
            public Flow.Publisher<ModelEvent> generate(GenerationContext context) {
                return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                    }

                    @Override
                    public void cancel() {
                    }
                });
            }
        };
    }

    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
