package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.testing.SocketClosesWhileReading;
import io.connectionswap.protocol.quic.testing.StandInQuicServer;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker link over real QUIC on loopback with the development PKI (mutual TLS): its streams spread over its
 * connections in turn (each routing loop on its own share of them), it is lost once when any connection closes, and it
 * fails whole when a connection fails.
 */
class WorkerLinkTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Duration NO_ECHO_NEEDED = Duration.ofMinutes(5);
    /** A HEARTBEAT frame: the frame header, then the sender's nanoTime. */
    private static final int HEARTBEAT_FRAME_BYTES = io.connectionswap.protocol.frame.Frames.HEADER_BYTES + Long.BYTES;
    /** Connections with no packet for a second close: only heartbeats keep a connection without streams open. */
    private static final QuicSettings SHORT_IDLE = new QuicSettings(Duration.ofSeconds(1), 64L << 20, 1L << 20, 1000,
            FrameLimits.DEFAULTS);

    private final EventLoopGroup workerLoop = QuicEventLoops.create("test-worker", 1);
    private final EventLoopGroup directorGroup = QuicEventLoops.create("test-director", 1);
    private final EventLoop directorLoop = directorGroup.next();
    /** Streams the stand-in worker accepted, by the worker-side connection they came on. */
    private final Map<QuicChannel, AtomicInteger> streamsByConnection = new ConcurrentHashMap<>();
    private final List<QuicChannel> workerSideConnections = new CopyOnWriteArrayList<>();
    /** The type of the first frame of each stream the stand-in worker read one from (the type byte comes first). */
    private final Map<QuicStreamChannel, FrameType> firstFrames = new ConcurrentHashMap<>();
    /** Bytes of the heartbeat streams the stand-in worker read, by connection (it echoes nothing). */
    private final Map<QuicChannel, AtomicInteger> heartbeatBytesByConnection = new ConcurrentHashMap<>();
    /** Whether the stand-in worker closes (FIN) a stream that opens with TOKEN_STREAM. */
    private volatile boolean closeTokenStreams;
    private QuicServerEndpoint worker;
    private QuicConnector connector;
    private TlsContexts directorTls;
    private Path pki;

    @BeforeEach
    void startWorker(@TempDir Path pki) throws Exception {
        this.pki = pki;
        DevelopmentPki.create(pki);
        worker = StandInQuicServer.worker(pki).limits(SHORT_IDLE).connectionsInto(workerSideConnections)
                .streams(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        streamsByConnection.computeIfAbsent(stream.parent(), c -> new AtomicInteger()).incrementAndGet();
                        stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof ByteBuf bytes && bytes.isReadable()
                                        && !firstFrames.containsKey(stream)) {
                                    FrameType type = FrameType.fromCode(bytes.getUnsignedByte(bytes.readerIndex()));
                                    firstFrames.put(stream, type);
                                    if (type == FrameType.TOKEN_STREAM && closeTokenStreams) {
                                        ctx.close();
                                    }
                                }
                                if (msg instanceof ByteBuf bytes && firstFrames.get(stream) == FrameType.HEARTBEAT) {
                                    heartbeatBytesByConnection.computeIfAbsent(stream.parent(),
                                            c -> new AtomicInteger()).addAndGet(bytes.readableBytes());
                                }
                                ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                }).bind(workerLoop);
        directorTls = TlsContexts.client("director", TlsIdentity.of(pki, "director").material());
        connector = new QuicConnector(directorLoop, SHORT_IDLE, directorTls.clientContext());
    }

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        directorGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void streamsSpreadOverTheConnectionsInTurn() throws Exception {
        WorkerLink link = connect(worker.localAddress().getPort(), 3, reason -> { });

        assertThat(link.connections()).isEqualTo(3);
        assertThat(link.isUp()).isTrue();
        for (int i = 0; i < 9; i++) {
            QuicStreamChannel stream = onLoop(() -> link.openStream(new ChannelInboundHandlerAdapter()))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1})); // the worker learns of a stream when it reads
        }

        // each connection carries its heartbeat stream and three of the nine
        await("the worker has every stream").atMost(DEADLINE).until(() -> streamsByConnection.values().stream()
                .mapToInt(AtomicInteger::get).sum() == 12);
        assertThat(streamsByConnection).hasSize(3);
        assertThat(streamsByConnection.values().stream().map(AtomicInteger::get).toList()).containsOnly(4);
        await("the link counts its streams").atMost(DEADLINE).until(() -> link.streamsHeld() == 12);
    }

    @Test
    void withTwoRoutingLoopsEachOpensStreamsOnItsOwnShareOfTheConnections() throws Exception {
        EventLoopGroup routing = QuicEventLoops.create("test-routing", 2);
        try {
            List<EventLoop> loops = List.of(routing.next(), routing.next());
            assertThat(loops.get(0)).isNotSameAs(loops.get(1));
            List<QuicConnector> connectors = loops.stream()
                    .map(loop -> new QuicConnector(loop, SHORT_IDLE, directorTls.clientContext())).toList();
            WorkerLink link = loops.get(0).submit(() -> WorkerLink.connect(connectors, loops.get(0),
                    new InetSocketAddress("127.0.0.1", worker.localAddress().getPort()), "localhost",
                    FrameLimits.DEFAULTS, Duration.ofMillis(100), NO_ECHO_NEEDED, 4, reason -> { }, nanos -> { }, null))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

            assertThat(link.connections()).isEqualTo(4);
            for (EventLoop loop : loops) {
                for (int i = 0; i < 4; i++) {
                    QuicStreamChannel stream = loop.submit(() -> link.openStream(new ChannelInboundHandlerAdapter()))
                            .get(DEADLINE.toSeconds(), TimeUnit.SECONDS).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
                    assertThat(stream.eventLoop()).as("a stream lives on the loop that opened it").isSameAs(loop);
                    stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
                }
            }

            // two connections per loop, each with its heartbeat and two of its loop's four streams
            await("the worker has every stream").atMost(DEADLINE).until(() -> streamsByConnection.values().stream()
                    .mapToInt(AtomicInteger::get).sum() == 12);
            assertThat(streamsByConnection).hasSize(4);
            assertThat(streamsByConnection.values().stream().map(AtomicInteger::get).toList()).containsOnly(3);
        } finally {
            routing.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * At a director's shutdown the registry's loop may stop before another routing loop closes its share of a link:
     * the close has no one to tell, and says nothing (it was a WARN with a stack trace from Netty per connection).
     */
    @Test
    void aConnectionClosingAfterTheRegistryLoopStoppedIsNotReported() throws Exception {
        EventLoopGroup registryGroup = QuicEventLoops.create("test-registry", 1);
        EventLoopGroup routing = QuicEventLoops.create("test-routing", 1);
        try (CapturedLogs promises = CapturedLogs.of(io.netty.util.concurrent.DefaultPromise.class)) {
            EventLoop registryLoop = registryGroup.next();
            EventLoop routingLoop = routing.next();
            // the link's connection is on a routing loop; the registry's loop hears of its close
            List<QuicConnector> connectors = List.of(new QuicConnector(routingLoop, SHORT_IDLE,
                    directorTls.clientContext()));
            WorkerLink link = registryLoop.submit(() -> WorkerLink.connect(connectors, registryLoop,
                    worker.localAddress(), "localhost", FrameLimits.DEFAULTS, Duration.ofMillis(100), NO_ECHO_NEEDED,
                    1, reason -> { }, nanos -> { }, null))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            QuicChannel routingConnection = routingLoop
                    .submit(() -> link.openStream(new ChannelInboundHandlerAdapter()))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS).get(DEADLINE.toSeconds(), TimeUnit.SECONDS).parent();

            registryGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            assertThat(registryLoop.isTerminated()).isTrue();
            routingConnection.close().await(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            routingLoop.submit(() -> { }).get(DEADLINE.toSeconds(), TimeUnit.SECONDS); // its close listeners ran

            assertThat(promises.events()).as("Netty's warnings about our close listener").isEmpty();
        } finally {
            registryGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            routing.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void theConnectionsAreSharedAmongTheLoopsAtLeastOneEach() {
        assertThat(List.of(WorkerLink.share(4, 2, 0), WorkerLink.share(4, 2, 1))).containsExactly(2, 2);
        assertThat(List.of(WorkerLink.share(3, 2, 0), WorkerLink.share(3, 2, 1))).containsExactly(2, 1);
        assertThat(List.of(WorkerLink.share(1, 2, 0), WorkerLink.share(1, 2, 1))).containsExactly(1, 1);
        assertThat(List.of(WorkerLink.share(5, 3, 0), WorkerLink.share(5, 3, 1), WorkerLink.share(5, 3, 2)))
                .containsExactly(2, 2, 1);
        assertThat(WorkerLink.share(4, 1, 0)).isEqualTo(4);
    }

    @Test
    void everyConnectionOutlivesTheIdleTimeoutWithoutStreams() throws Exception {
        List<String> lost = new CopyOnWriteArrayList<>();
        WorkerLink link = connect(worker.localAddress().getPort(), 3, lost::add);

        await("the link up").atMost(DEADLINE).until(link::isUp);
        Holds.throughout(Duration.ofSeconds(3), () -> "the link went down within three idle timeouts, lost: " + lost,
                link::isUp);
        assertThat(lost).isEmpty();
    }

    @Test
    void theConnectionsOfOneLoopTakeTurnsSoTheWorkerGetsOneHeartbeatPerIntervalNotOnePerConnection() throws Exception {
        long start = System.nanoTime();
        connect(worker.localAddress().getPort(), 4, reason -> { });

        int heartbeats = awaitFiveHeartbeatsOnEachOf(4);
        long intervalsSinceStart = Duration.ofNanos(System.nanoTime() - start).toMillis() / 100;

        // the first heartbeat of each connection goes at once, then one per interval from the one routing loop; a
        // heartbeat per connection per interval would have sent about 4 x 5 within 5 intervals. Scheduling only ever
        // delays a heartbeat, so the bound holds however slow the machine (one more per connection: the tick that is
        // due)
        assertThat(heartbeats).isLessThanOrEqualTo((int) (4 + intervalsSinceStart + 4));
    }

    @Test
    void withTwoRoutingLoopsTheConnectionsOfEachLoopTakeTurns() throws Exception {
        EventLoopGroup routing = QuicEventLoops.create("test-routing", 2);
        try {
            List<EventLoop> loops = List.of(routing.next(), routing.next());
            List<QuicConnector> connectors = loops.stream()
                    .map(loop -> new QuicConnector(loop, SHORT_IDLE, directorTls.clientContext())).toList();
            long start = System.nanoTime();
            loops.get(0).submit(() -> WorkerLink.connect(connectors, loops.get(0),
                    new InetSocketAddress("127.0.0.1", worker.localAddress().getPort()), "localhost",
                    FrameLimits.DEFAULTS, Duration.ofMillis(100), NO_ECHO_NEEDED, 4, reason -> { }, nanos -> { }, null))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

            int heartbeats = awaitFiveHeartbeatsOnEachOf(4);
            long intervalsSinceStart = Duration.ofNanos(System.nanoTime() - start).toMillis() / 100;

            // each loop's two connections take turns: one heartbeat per interval from each loop (an echo read on
            // either loop is a sign of life, and one may be busy), not one per connection
            assertThat(heartbeats).isLessThanOrEqualTo((int) (4 + 2 * intervalsSinceStart + 4));
        } finally {
            routing.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void oneConnectionClosingLosesTheLinkOnceAndClosesTheOthers() throws Exception {
        List<String> lost = new CopyOnWriteArrayList<>();
        WorkerLink link = connect(worker.localAddress().getPort(), 3, lost::add);
        await("the worker has every connection").atMost(DEADLINE).until(() -> workerSideConnections.size() == 3);

        workerSideConnections.get(1).close();

        await("the link is lost").atMost(DEADLINE).until(() -> !lost.isEmpty());
        await("every connection of the link closes").atMost(DEADLINE).until(() -> workerSideConnections.stream()
                .noneMatch(QuicChannel::isActive));
        assertThat(link.isUp()).isFalse();
        assertThat(lost).as("onLost runs once for the link").hasSize(1);
    }

    /**
     * A worker ends its drain by closing its connections with SHUTTING_DOWN (QuicConnections.closeAll). Netty kept the
     * director's connection open through QUIC's draining period (three probe timeouts) after it read that close, and
     * closed it only once quiche's draining timer ran out: the link was lost, and the generations still on it moved to
     * the next worker, 180-800 ms after the close after a burst (the probe timeout grows with the round trips a loop
     * slowed by CPU contention measures). Nothing more comes on a connection the worker closed: it closes, and the
     * link is lost, as the datagram carrying the close is read. Seen here from the director's UDP socket, which
     * closes with the connection: while it reads that datagram, not at a timer afterwards.
     */
    @Test
    void aConnectionTheWorkerClosesClosesAsTheCloseIsReadNotAfterQuicsDrainingPeriod() throws Exception {
        SocketClosesWhileReading sockets = new SocketClosesWhileReading();
        connector = new QuicConnector(directorLoop, SHORT_IDLE, directorTls.clientContext(), false, sockets);
        List<String> lost = new CopyOnWriteArrayList<>();
        WorkerLink link = connect(worker.localAddress().getPort(), 1, lost::add);
        await("the worker has the connection").atMost(DEADLINE).until(() -> workerSideConnections.size() == 1);

        workerSideConnections.get(0).close(true, ErrorCode.SHUTTING_DOWN.code(),
                Unpooled.copiedBuffer("worker is shutting down", StandardCharsets.UTF_8));

        await("the link is lost").atMost(DEADLINE).until(() -> !lost.isEmpty());
        assertThat(lost).as("the worker's drain, as before")
                .containsExactly("worker closed the connection: shutting down");
        assertThat(link.closedByWorkerShuttingDown()).isTrue();
        await("the director's socket closed").atMost(DEADLINE).until(() -> !sockets.closes.isEmpty());
        assertThat(sockets.closes).as("the director's connection (and its socket) closed while the worker's close was "
                + "read, not at QUIC's draining timer afterwards").containsExactly(true);
    }

    /**
     * A link replaced by one with token streams is closed once the relayed streams on it have ended (those of the new
     * link do not count, nor its own heartbeat streams): the link counts the streams it opened until they close.
     */
    @Test
    void aTaskForWhenNoRelayedStreamIsOpenRunsOnceTheLastOneCloses() throws Exception {
        WorkerLink link = connect(worker.localAddress().getPort(), 2, reason -> { });
        List<QuicStreamChannel> streams = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            streams.add(onLoop(() -> link.openStream(new ChannelInboundHandlerAdapter()))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        }
        AtomicInteger ran = new AtomicInteger();

        link.retire(ran::incrementAndGet);
        streams.get(0).close().sync();
        assertThat(ran).as("one relayed stream is still open").hasValue(0);
        streams.get(1).close().sync();

        await("the task runs once the last relayed stream closed").atMost(DEADLINE).until(() -> ran.get() == 1);
        AtomicInteger again = new AtomicInteger();
        link.retire(again::incrementAndGet);
        assertThat(again).as("with none open it runs at once").hasValue(1);
        assertThat(ran).hasValue(1);
    }

    @Test
    void closeNamesTheReasonTheLinkIsLostWith() throws Exception {
        List<String> lost = new CopyOnWriteArrayList<>();
        WorkerLink link = connect(worker.localAddress().getPort(), 2, lost::add);

        onLoop(() -> {
            link.close("worker evicted");
            return null;
        });

        await("the link is lost").atMost(DEADLINE).until(() -> !lost.isEmpty());
        assertThat(lost).containsExactly("worker evicted");
    }

    @Test
    void aTokenStreamIsAStreamOfItsOwnBesideEachConnectionsHeartbeat() throws Exception {
        WorkerLink link = connectWithTokenStreams(2, reason -> { });

        assertThat(link.tokenStream()).isTrue();
        // per connection: a heartbeat stream whose frames are heartbeats only, and a token stream opened with
        // TOKEN_STREAM that carries no heartbeat, so an echo never waits behind the tokens queued there
        await("each connection has its two streams").atMost(DEADLINE).until(() -> firstFrames.size() == 4);
        assertThat(firstFrames.values()).containsExactlyInAnyOrder(FrameType.HEARTBEAT, FrameType.HEARTBEAT,
                FrameType.TOKEN_STREAM, FrameType.TOKEN_STREAM);
        assertThat(firstFrames.keySet().stream().map(QuicStreamChannel::parent).distinct().count()).isEqualTo(2);
        assertThat(streamsByConnection.values().stream().map(AtomicInteger::get).toList()).containsOnly(2);
    }

    @Test
    void aWorkerClosingItsTokenStreamLosesTheLink() throws Exception {
        closeTokenStreams = true;
        List<String> lost = new CopyOnWriteArrayList<>();
        WorkerLink link = connectWithTokenStreams(2, lost::add);

        await("the link is lost").atMost(DEADLINE).until(() -> !lost.isEmpty());
        assertThat(lost).containsExactly("worker closed its token stream");
        assertThat(link.isUp()).isFalse();
    }

    @Test
    void aWorkerThatIsNotThereFailsTheLink() {
        int closedPort = worker.localAddress().getPort();
        worker.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        worker = null;

        assertThatThrownBy(() -> connect(closedPort, 2, reason -> { }))
                .isInstanceOf(ExecutionException.class);
    }

    @Test
    void aPeerWithAnotherCertificateOfTheCaIsNoWorker() throws Exception {
        // the CA and the dialled name pass (the director certificate has the name localhost too), the CN does not
        List<QuicChannel> accepted = new CopyOnWriteArrayList<>();
        QuicServerEndpoint other = StandInQuicServer.presenting(pki, "director", true).limits(SHORT_IDLE)
                .connectionsInto(accepted).bind(workerLoop);
        try {
            assertThatThrownBy(() -> connect(other.localAddress().getPort(), 2, reason -> { }))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("is no worker: it presented CN=director, a worker presents CN=worker");
            assertThat(accepted).hasSize(2);
            await().atMost(DEADLINE).until(() -> accepted.stream().noneMatch(QuicChannel::isActive));
        } finally {
            other.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private WorkerLink connect(int port, int connections, java.util.function.Consumer<String> onLost)
            throws Exception {
        return onLoop(() -> WorkerLink.connect(List.of(connector), directorLoop,
                new InetSocketAddress("127.0.0.1", port), "localhost", FrameLimits.DEFAULTS, Duration.ofMillis(100),
                NO_ECHO_NEEDED, connections, onLost, nanos -> { }, null)).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    private WorkerLink connectWithTokenStreams(int connections, java.util.function.Consumer<String> onLost)
            throws Exception {
        WorkerEndpoint endpoint = new WorkerEndpoint("worker-a", new HostPort("127.0.0.1",
                worker.localAddress().getPort()), java.net.URI.create("http://127.0.0.1:1/actuator/health"),
                Duration.ofMillis(50), "i-1", "127.0.0.1", WorkerSource.REGISTRATION, List.of("stand-in"));
        WorkerFrames frames = (from, streamId, frame) -> frame.release();
        return onLoop(() -> WorkerLink.connect(List.of(connector), directorLoop, worker.localAddress(), "localhost",
                FrameLimits.DEFAULTS, Duration.ofMillis(100), NO_ECHO_NEEDED, connections, onLost, nanos -> { },
                new WorkerLink.TokenStreamFrames(endpoint, frames))).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    /** Waits until the stand-in worker read five heartbeats on each of {@code connections}; returns how many in all. */
    private int awaitFiveHeartbeatsOnEachOf(int connections) {
        await("every connection sent five heartbeats").atMost(DEADLINE).until(() ->
                heartbeatBytesByConnection.size() == connections && heartbeatBytesByConnection.values().stream()
                        .allMatch(bytes -> bytes.get() >= 5 * HEARTBEAT_FRAME_BYTES));
        return heartbeatBytesByConnection.values().stream().mapToInt(AtomicInteger::get).sum() / HEARTBEAT_FRAME_BYTES;
    }

    /** Runs {@code action} on the director's loop, as the registry does, and returns what it returned. */
    private <T> T onLoop(java.util.concurrent.Callable<T> action) throws Exception {
        return directorLoop.submit(action).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }
}
