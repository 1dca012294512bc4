package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.connectionswap.protocol.quic.testing.StandInQuicServer;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the director does with input other than heartbeat echoes on a worker link's heartbeat stream, over real QUIC
 * on loopback with the development PKI (mutual TLS), the stand-in worker echoing heartbeats as a worker does and
 * writing what the test says on the same stream (a buggy worker, or one of another version).
 */
class LinkHeartbeatStreamInputTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** A real echo timeout: a link whose heartbeat stream stopped answering is lost within it. */
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration ECHO_TIMEOUT = Duration.ofSeconds(1);
    private static final QuicSettings LIMITS = new QuicSettings(Duration.ofSeconds(5), 64L << 20, 1L << 20, 100,
            FrameLimits.DEFAULTS);

    private final EventLoopGroup workerLoop = QuicEventLoops.create("test-worker", 1);
    private final EventLoopGroup directorGroup = QuicEventLoops.create("test-director", 1);
    private final EventLoop directorLoop = directorGroup.next();
    /** The worker side of each heartbeat stream the director opened (every stream it opens in these tests). */
    private final List<QuicStreamChannel> heartbeatStreams = new CopyOnWriteArrayList<>();
    /** What the stand-in worker read on those streams besides heartbeats (the responder consumes those). */
    private final List<Object> readByWorker = new CopyOnWriteArrayList<>();
    private final List<String> lost = new CopyOnWriteArrayList<>();
    private final AtomicInteger echoes = new AtomicInteger();
    private QuicServerEndpoint worker;
    private QuicConnector connector;

    @BeforeEach
    void startWorker(@TempDir Path pki) {
        DevelopmentPki.create(pki);
        worker = StandInQuicServer.worker(pki).limits(LIMITS).streams(new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                heartbeatStreams.add(stream);
                StreamPipelines.messages(stream, FrameLimits.DEFAULTS, Heartbeats.responder());
                stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        readByWorker.add(msg instanceof Message message ? message.frameType() : msg);
                        ReferenceCountUtil.release(msg);
                    }
                });
            }
        }).bind(workerLoop);
        TlsContexts directorTls = TlsContexts.client("director", TlsIdentity.of(pki, "director").material());
        connector = new QuicConnector(directorLoop, LIMITS, directorTls.clientContext());
    }

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        directorGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /**
     * A frame other than HEARTBEAT on the heartbeat stream (here a CONNECTED, as a worker that took the stream for a
     * generation's would send) was dropped by Netty's pipeline tail with a DEBUG line: nothing told an operator. It is a
     * WARN naming the worker and the frame, once per connection (the repeats at DEBUG); the frame is dropped and the
     * stream stays, its echoes counted: the worker answers every heartbeat, so nothing says it is dead, and no ERROR
     * goes back (a worker ends a stream on which it reads anything but a heartbeat, which would silence the echoes).
     */
    @Test
    void aFrameOtherThanAHeartbeatIsAWarningAndTheLinkLivesOnItsEchoes() throws Exception {
        WorkerLink link = connect();
        await("the worker echoes heartbeats").atMost(DEADLINE).until(() -> echoes.get() >= 2
                && heartbeatStreams.size() == 1);
        QuicStreamChannel stream = heartbeatStreams.get(0);

        try (CapturedLogs logs = CapturedLogs.of(WorkerLink.class.getPackageName())) {
            workerLoop.submit(() -> {
                for (int i = 0; i < 3; i++) {
                    stream.writeAndFlush(new Connected("worker", "conn-1", 4, "g-1", 0, "stand-in"));
                }
            }).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            int echoesBefore = echoes.get();
            // an echo written after the three frames follows them on the stream: they were read by then
            await("echoes after the frames").atMost(DEADLINE).until(() -> echoes.get() >= echoesBefore + 3);

            assertThat(warnings(logs)).as("one WARN for the connection, its repeats at DEBUG").singleElement()
                    .satisfies(line -> assertThat(line).contains("worker.addr=127.0.0.1:"
                                    + worker.localAddress().getPort(), "frame=CONNECTED", "error=UNEXPECTED_MESSAGE")
                            .endsWith("worker sent a frame other than HEARTBEAT on a link heartbeat stream; "
                                    + "frame dropped, the stream stays"));
        }
        Holds.throughout(ECHO_TIMEOUT.multipliedBy(2), () -> "the link went down, lost: " + lost, link::isUp);
        assertThat(lost).isEmpty();
        assertThat(stream.isActive()).as("the worker's side of the heartbeat stream").isTrue();
        assertThat(readByWorker).as("the worker got heartbeats only: no ERROR back").isEmpty();
    }

    /**
     * Bytes that are no frame cannot be read past (a stream cannot be resynchronised): the heartbeat stream is broken,
     * and a link connection without its heartbeat is watched by nothing, so the link is lost at once with the reason,
     * instead of an echo timeout later (its generations move; the worker's health decides its return).
     */
    @Test
    void bytesThatAreNoFrameLoseTheLinkWithTheReason() throws Exception {
        WorkerLink link = connect();
        await("the worker echoes heartbeats").atMost(DEADLINE).until(() -> echoes.get() >= 1
                && heartbeatStreams.size() == 1);
        QuicStreamChannel stream = heartbeatStreams.get(0);

        workerLoop.submit(() -> stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x7f, 0, 0, 0, 0})))
                .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        await("the link is lost").atMost(DEADLINE).until(() -> !lost.isEmpty());
        assertThat(lost).containsExactly("worker broke a link stream: unknown frame type 0x7f");
        assertThat(link.isUp()).isFalse();
    }

    private WorkerLink connect() throws Exception {
        return directorLoop.submit(() -> WorkerLink.connect(List.of(connector), directorLoop,
                        new InetSocketAddress("127.0.0.1", worker.localAddress().getPort()), "localhost",
                        FrameLimits.DEFAULTS, INTERVAL, ECHO_TIMEOUT, 1, lost::add, nanos -> echoes.incrementAndGet(),
                        null))
                .get(DEADLINE.toSeconds(), TimeUnit.SECONDS).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    private static List<String> warnings(CapturedLogs logs) {
        return logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }
}
