package io.connectionswap.worker.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.protocol.quic.QuicConnections;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.worker.config.WorkerProperties;
import io.connectionswap.worker.health.FailureSimulation;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.connectionswap.worker.registration.DirectorRegistration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * CONNECTION_CLOSE that says SHUTTING_DOWN, not from silence (its link heartbeat timeout, 1 s, would take the worker
 * for lost rather than drained, or the connection's idle timeout); when the director closes it, the worker must stop
 * the generations on it as it reads the close.
 */
class WorkerQuicServerCloseTest {

    /**
     * Half the director side's idle timeout here (10 s, {@link #connector}): a close seen within it was sent, not
     * the idle timeout; that it was the worker's CONNECTION_CLOSE, the close event's kind and code show. Not a latency
     * bound: with 1.5 s, the connection closed later than that in 2 of 6 runs of this class on 2 loaded cores.
     */
    private static final Duration PROMPTLY = Duration.ofSeconds(5);
    /**
     * The stream flow-control window the director's side gives the worker ({@link #connector}): a stream's limit until
     * the director has read half of it.
     */
    private static final int DIRECTOR_STREAM_WINDOW = 64 * 1024;
    /** A token's text: 32 of them fill the director's window on a stream. */
    private static final String FLOODED_TEXT = "x".repeat(2048);
    /** A TOKEN frame of {@link #FLOODED_TEXT}: the header, the sequence number, the text. */
    private static final int TOKEN_FRAME_BYTES = Frames.HEADER_BYTES + Integer.BYTES + FLOODED_TEXT.length();

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

    /**
     * A model that fails while the worker drains, its generation the last one open, with the ERROR queued behind
     * tokens the director has not read yet (its flow-control window on the stream is full): the drain must wait for
     * the director to read the ERROR (its FIN follows, closing the stream) before it closes the director's connection,
     * as it waits for an END. Closed at once, the ERROR is dropped with the connection: the director takes the
     * SHUTTING_DOWN close for a drain and moves the generation to the next worker, where a request fault (here
     * UPSTREAM_REJECTED) should have been passed to the client as final.
     */
    @Test
    void anErrorQueuedBehindTheDirectorsFlowControlWhenTheDrainEndsReachesTheDirectorBeforeTheClose() throws Exception {
        ActiveStreams active = new ActiveStreams();
        ExecutorService modelThread = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Flow.Subscriber<? super ModelEvent>> generation = new CompletableFuture<>();
            CompletableFuture<QuicConnectionCloseEvent> closeEvent = startAndConnect(active, Duration.ofSeconds(20),
                    flooding(modelThread, generation));
            List<Message> received = new CopyOnWriteArrayList<>();
            QuicStreamChannel stream = openAndFillTheDirectorsWindow(received);

            CompletableFuture<Long> stopped = new CompletableFuture<>();
            server.stop(() -> stopped.complete(System.nanoTime()));
            Flow.Subscriber<? super ModelEvent> subscriber = generation.get(5, TimeUnit.SECONDS);
            modelThread.execute(() -> subscriber.onError(new ModelException(ErrorCode.UPSTREAM_REJECTED,
                    "upstream answered 400: prompt too long")));
            Awaitility.await("the worker ended the stream with the model's failure").atMost(Duration.ofSeconds(5))
                    .until(() -> registry.find("connection.swap.worker.model.errors").counter() != null);
            Holds.throughout(Duration.ofMillis(300), () -> "the drain ended (the director's connection closed: "
                    + !director.isActive() + ") before the director read the worker's ERROR", () -> !stopped.isDone());

            stream.config().setAutoRead(true);
            stream.read();
            Awaitility.await("the director read the ERROR").atMost(Duration.ofSeconds(5))
                    .until(() -> received.stream().anyMatch(StreamError.class::isInstance));
            assertThat(received).filteredOn(StreamError.class::isInstance).singleElement()
                    .isInstanceOfSatisfying(StreamError.class,
                            error -> assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED));
            stopped.get(10, TimeUnit.SECONDS);
            // the close itself, not the channel's end: after a burst quiche drains the closed connection for 3 PTO
            assertThat(closeEvent.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS).error())
                    .isEqualTo(ErrorCode.SHUTTING_DOWN.code());
        } finally {
            modelThread.shutdownNow();
        }
    }

    /**
     * A drain that times out with a generation the director has not read to its end: the worker had written its last
     * tokens and END, held back by the director's flow control (its stream window full), when the timeout closed the
     * director's connection, and the close dropped whatever quiche had not sent yet. The client's text stays exact
     * (the director resumes after its last relayed token), but the generation had ENDED: the next worker resumes it
     * and a model that stopped on its own may add text. What the worker wrote before the timeout must reach the
     * director before its connection closes.
     */
    @Test
    void anEndHeldBackByTheDirectorsFlowControlAtTheDrainTimeoutReachesTheDirectorBeforeTheClose() throws Exception {
        assertTheDirectorReadsAllTheWorkerWroteAfterADrainTimeout(true);
    }

    /**
     * As {@link #anEndHeldBackByTheDirectorsFlowControlAtTheDrainTimeoutReachesTheDirectorBeforeTheClose()} for a
     * generation still running at the drain timeout: its last tokens reach the director, and then the stream's end
     * (SHUTTING_DOWN, a move), not a lost connection.
     */
    @Test
    void theLastTokensOfAGenerationCutByTheDrainTimeoutReachTheDirectorBeforeTheClose() throws Exception {
        assertTheDirectorReadsAllTheWorkerWroteAfterADrainTimeout(false);
    }

    private void assertTheDirectorReadsAllTheWorkerWroteAfterADrainTimeout(boolean generationEnded) throws Exception {
        ActiveStreams active = new ActiveStreams();
        ExecutorService modelThread = Executors.newSingleThreadExecutor();
        try (CapturedLogs logs = CapturedLogs.of(WorkerQuicServer.class)) {
            CompletableFuture<Flow.Subscriber<? super ModelEvent>> generation = new CompletableFuture<>();
            startAndConnect(active, Duration.ofMillis(300), flooding(modelThread, generation));
            List<Message> received = new CopyOnWriteArrayList<>();
            QuicStreamChannel stream = openAndFillTheDirectorsWindow(received);
            if (generationEnded) {
                Flow.Subscriber<? super ModelEvent> subscriber = generation.get(5, TimeUnit.SECONDS);
                modelThread.execute(() -> subscriber.onNext(new ModelEvent.Finished(FinishReason.STOP, null)));
            }

            server.stop(() -> { });
            Awaitility.await("the drain timed out").atMost(Duration.ofSeconds(5))
                    .until(() -> logs.events().stream().anyMatch(event -> event.getFormattedMessage()
                            .contains("drain timeout passed")));
            stream.config().setAutoRead(true);
            stream.read();

            // the worker's FIN travels with a HEARTBEAT frame (QuicStreams.finish): not a frame of the generation
            Awaitility.await("the director read the stream's end").atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(received).filteredOn(message -> !(message instanceof Heartbeat))
                            .as("what the director read after the drain timeout (%s tokens, %s written)",
                                    tokensIn(received), tokensCounted())
                            .last().isInstanceOf(generationEnded ? End.class : StreamError.class));
            assertThat(tokensIn(received)).as("every token the worker wrote").isEqualTo((long) tokensCounted());
            if (!generationEnded) {
                assertThat(received).filteredOn(StreamError.class::isInstance).singleElement()
                        .isInstanceOfSatisfying(StreamError.class, error -> assertThat(error.code())
                                .as("a generation cut by the drain's end moves").isEqualTo(ErrorCode.SHUTTING_DOWN));
            }
        } finally {
            modelThread.shutdownNow();
        }
    }

    /**
     * Whether the TOKEN frames the worker wrote and the director has not read are more than the director's window on
     * the stream: what the worker writes now waits for the director's reads. (Waiting for a whole frame more than
     * that could last for ever: the worker asks its model for more only while the stream takes more.)
     */
    private boolean directorsWindowFull(List<Message> received) {
        return (tokensCounted() - tokensIn(received)) * TOKEN_FRAME_BYTES > DIRECTOR_STREAM_WINDOW;
    }

    private double tokensCounted() {
        return registry.get("connection.swap.worker.tokens").counter().count();
    }

    private static long tokensIn(List<Message> received) {
        return received.stream().filter(Token.class::isInstance).count();
    }

    /**
     * Opens a generation stream the director reads nothing of (until the test reads it) and waits until the worker
     * has written more than the director's window on it (64 KiB): what the worker writes from then on waits for the
     * director's reads. Unread from the start, the stream's limit stays the window it opened with; read for a while,
     * it would not: quiche raises it by the window whenever half of it has been read, and doubles the window when two
     * raises come within two round trips (up to 16 MiB), so a reader that stops somewhere leaves the worker between
     * half a window and several windows of credit. (A director that stopped reading at its first token left 28 to 115
     * frames unread when the worker stopped, in 65 tries: at 28, no wait for more than 64 KiB unread could end.)
     */
    private QuicStreamChannel openAndFillTheDirectorsWindow(List<Message> received) throws Exception {
        QuicStreamChannel stream = openGenerationStream(received, false);
        Awaitility.await("the director's window on the stream full").atMost(Duration.ofSeconds(20))
                .until(() -> directorsWindowFull(received));
        return stream;
    }

    /**
     * Opens a generation stream as the director does and assigns it a generation; what it reads goes to {@code into},
     * from the start when {@code reading} (else once the test reads it). An ERROR or END read is answered with the
     * director's FIN, as the director ends a worker's stream it read the end of.
     */
    private QuicStreamChannel openGenerationStream(List<Message> into, boolean reading) throws Exception {
        QuicStreamChannel stream = director.createStream(QuicStreamType.BIDIRECTIONAL,
                new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel channel) {
                        channel.config().setAutoRead(reading); // before the stream's first read
                        StreamPipelines.messages(channel, FrameLimits.DEFAULTS,
                                new SimpleChannelInboundHandler<Message>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
                                        into.add(message);
                                        if (message instanceof StreamError || message instanceof End) {
                                            ((QuicStreamChannel) ctx.channel()).shutdownOutput();
                                        }
                                    }
                                });
                    }
                }).get(20, TimeUnit.SECONDS);
        GenerationRequest request = GenerationRequest.completion("gen-drain", "a prompt", 1_000_000)
                .withModel("silent");
        stream.writeAndFlush(MessageCodec.encode(stream.alloc(), new WorkerAssignment(7, "conn-1", request))).sync();
        return stream;
    }

    private void stopAndAssertTheDirectorLearnsAtOnce(CompletableFuture<QuicConnectionCloseEvent> closeEvent)
            throws Exception {
        CompletableFuture<Long> stopped = new CompletableFuture<>();
        server.stop(() -> stopped.complete(System.nanoTime()));
        long stoppedAt = stopped.get(30, TimeUnit.SECONDS);

        Awaitility.await("the director's connection closed well before its idle timeout")
                .atMost(PROMPTLY).until(() -> !director.isActive());
        long closedAt = System.nanoTime();
        assertThat(Duration.ofNanos(closedAt - stoppedAt)).isLessThan(PROMPTLY);
        QuicConnectionCloseEvent event = closeEvent.get(1, TimeUnit.SECONDS);
        assertThat(event.isApplicationClose()).as("an application close, not a transport error").isTrue();
        assertThat(event.error()).isEqualTo(ErrorCode.SHUTTING_DOWN.code());
        assertThat(new String(event.reason(), StandardCharsets.UTF_8)).contains("worker-t").contains("shutting down");
    }

    /**
     * A director that closes its connection to the worker (it drains, or gives the link up) while a generation runs
     * on it: the generation must stop (its stream's channel inactive, the model's work cancelled) as the director's
     * CONNECTION_CLOSE is read, not when Netty closes the connection at the end of QUIC's draining period (three probe
     * timeouts) afterwards: until then the worker goes on generating, and calling its model, for a reader that is gone.
     */
    @Test
    void aGenerationStopsAsTheDirectorsCloseOfItsConnectionIsReadNotAfterQuicsDrainingPeriod() throws Exception {
        DatagramReadTurns turns = new DatagramReadTurns();
        CompletableFuture<Boolean> cancelledInReadTurn = new CompletableFuture<>();
        AtomicLong cancelledAt = new AtomicLong();
        ActiveStreams active = new ActiveStreams();
        startAndConnect(active, Duration.ofSeconds(20), serving(subscriber -> subscriber.onSubscribe(
                new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                    }

                    @Override
                    public void cancel() {
                        cancelledAt.set(System.nanoTime());
                        cancelledInReadTurn.complete(turns.inReadTurn());
                    }
                })));
        QuicChannel workerSide = connections.openNow().iterator().next();
        workerSide.eventLoop().submit(() -> workerSide.parent().pipeline().addFirst(turns)).get(5, TimeUnit.SECONDS);
        openGenerationStream(new CopyOnWriteArrayList<>(), true);
        Awaitility.await("the generation runs").atMost(Duration.ofSeconds(20)).until(() -> active.count() == 1);

        long closedAt = System.nanoTime();
        director.close(true, ErrorCode.SHUTTING_DOWN.code(),
                Unpooled.copiedBuffer("director-t is shutting down", StandardCharsets.UTF_8));

        boolean inReadTurn = cancelledInReadTurn.get(20, TimeUnit.SECONDS);
        assertThat(inReadTurn).as("the generation stopped as the director's close was read, not at QUIC's draining "
                + "timer afterwards (stopped %d ms after the close)",
                TimeUnit.NANOSECONDS.toMillis(cancelledAt.get() - closedAt)).isTrue();
        Awaitility.await("the stream no longer counted").atMost(PROMPTLY).until(active::isEmpty);
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
     * The worker's stop takes its drain, then (after a drain timeout) up to {@link WorkerQuicServer#CUT_STREAMS_WAIT}
     * for the streams it ended to be read and up to {@link WorkerQuicServer#CONNECTION_CLOSE_WAIT} for the
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
            assertThat(logs.events()).as("a 44 s drain + %s for the cut streams + %s close wait + the socket's close "
                            + "in a 45 s phase", WorkerQuicServer.CUT_STREAMS_WAIT, WorkerQuicServer.CONNECTION_CLOSE_WAIT)
                    .anySatisfy(event -> assertThat(event.getFormattedMessage())
                            .contains("the drain may outlast Spring's shutdown phase")
                            .contains("shutdown.phase.timeout=PT45S"));
        }
    }

    /** Starts the worker's server with {@code drainTimeout} and dials it as the director does; the close it sees. */
    private CompletableFuture<QuicConnectionCloseEvent> startAndConnect(ActiveStreams active, Duration drainTimeout)
            throws Exception {
        return startAndConnect(active, drainTimeout, silent());
    }

    /** {@link #startAndConnect(ActiveStreams, Duration)} with a worker serving generations with {@code model}. */
    private CompletableFuture<QuicConnectionCloseEvent> startAndConnect(ActiveStreams active, Duration drainTimeout,
                                                                        ModelBackend model) throws Exception {
        connections = startServer(active, drainTimeout, new StandardEnvironment(), model);
        CompletableFuture<QuicConnectionCloseEvent> closeEvent = new CompletableFuture<>();
        director = connector(directorLoop).connect(workerAddress(), "localhost", closeEventInto(closeEvent), null)
                .get(20, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> connections.size() == 1);
        return closeEvent;
    }

    /** Dials as the director does, on {@code loop}. */
    private QuicConnector connector(EventLoopGroup loop) {
        // the director's own idle timeout (10 s) is far past the bound: only a CONNECTION_CLOSE closes it in time
        QuicSettings directorSettings = new QuicSettings(Duration.ofSeconds(10), 64L * 1024 * 1024,
                DIRECTOR_STREAM_WINDOW, 100, FrameLimits.DEFAULTS);
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
        return startServer(active, drainTimeout, environment, silent());
    }

    /** {@link #startServer(ActiveStreams, Duration, ConfigurableEnvironment)}, generations served by {@code model}. */
    private QuicConnections startServer(ActiveStreams active, Duration drainTimeout,
                                        ConfigurableEnvironment environment, ModelBackend model) throws Exception {
        DevelopmentPki.create(pki);
        WorkerProperties properties = new WorkerProperties("127.0.0.1:0", null, null, "worker-t", Duration.ofMillis(5),
                null, Duration.ofSeconds(10), "127.0.0.1:61000", false, Duration.ofSeconds(10), drainTimeout,
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(3500), 1, DataSize.ofMegabytes(4));
        QuicConnections connections = new QuicConnections();
        WorkerStreamContext context = new WorkerStreamContext(properties, model,
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
        return serving(subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        }));
    }

    /**
     * A model whose generations answer each request for tokens at once with {@link #FLOODED_TEXT}s, from {@code
     * modelThread} (as fast as the stream takes them); each generation's subscriber goes to {@code subscribed}.
     */
    private static ModelBackend flooding(ExecutorService modelThread,
                                         CompletableFuture<Flow.Subscriber<? super ModelEvent>> subscribed) {
        return serving(subscriber -> {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    modelThread.execute(() -> {
                        for (long i = 0; i < n; i++) {
                            subscriber.onNext(new ModelEvent.Text(FLOODED_TEXT));
                        }
                    });
                }

                @Override
                public void cancel() {
                }
            });
            subscribed.complete(subscriber);
        });
    }

    /** A model named {@code silent} whose every generation is {@code generation}. */
    private static ModelBackend serving(Flow.Publisher<ModelEvent> generation) {
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
                return generation;
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
