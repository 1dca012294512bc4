package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real QUIC over loopback: a server writes small frames on many streams of one connection in one pass of its event
 * loop, as the director relays a batch of tokens. Held, the frames of one stream share a datagram; not held, each write
 * sends its own. Two streams never share one: quiche puts one STREAM frame in a packet. The client receives every byte
 * either way. {@link SendHeldAfterRead} sends what a socket's read batch held when the batch is complete.
 */
class CoalescedSendsTest {

    private static final Duration DEADLINE = LoopbackQuic.DEADLINE;
    private static final int STREAMS = 30;
    /** Frames written on each stream in the pass: all of them fit in the initial congestion window. */
    private static final int FRAMES = 3;
    private static final byte[] FRAME = "token-frame-of-24-bytes!".getBytes(StandardCharsets.US_ASCII);

    private final DatagramCounter serverDatagrams = new DatagramCounter();
    private final List<QuicStreamChannel> serverStreams = new CopyOnWriteArrayList<>();
    private final AtomicLong clientBytes = new AtomicLong();
    private LoopbackQuic quic;
    private EventLoopGroup serverLoop;

    @BeforeEach
    void connect(@TempDir Path pki) throws Exception {
        ChannelHandler serverStreamHandler = new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                serverStreams.add(stream);
                stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                    }
                });
            }
        };
        quic = LoopbackQuic.open(pki, QuicTransport.NIO, QuicTransport.NIO, serverStreamHandler,
                SegmentedDatagramPacketAllocator.NONE, serverDatagrams);
        serverLoop = quic.serverLoop;
        QuicChannel connection = quic.connection();
        for (int i = 0; i < STREAMS; i++) {
            QuicStreamChannel stream = connection.createStream(QuicStreamType.BIDIRECTIONAL, new CountBytes())
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1})); // the server learns of a stream when it reads
        }
        await("the server has every stream").atMost(DEADLINE).until(() -> serverStreams.size() == STREAMS);
    }

    @AfterEach
    void close() {
        if (quic != null) {
            quic.close();
        }
    }

    @Test
    void heldWritesShareADatagramPerStream() throws Exception {
        assertThat(CoalescedSends.available()).as("Netty's QUIC send batching is reachable").isTrue();

        long sent = datagramsForOnePass(true);

        assertThat(sent).as("datagrams for %d frames on each of %d streams, written in one pass and held", FRAMES,
                STREAMS).isBetween((long) STREAMS, STREAMS + 4L);
        awaitClientBytes((long) STREAMS * FRAMES * FRAME.length);
    }

    @Test
    void writesThatAreNotHeldSendOneDatagramEach() throws Exception {
        long sent = datagramsForOnePass(false);

        assertThat(sent).as("datagrams for %d frames on each of %d streams, written in one pass, not held", FRAMES,
                STREAMS).isGreaterThanOrEqualTo((long) STREAMS * FRAMES);
        awaitClientBytes((long) STREAMS * FRAMES * FRAME.length);
    }

    @Test
    void sendAllHeldEndsTheHoldAtOnce() throws Exception {
        awaitQuiet();
        long before = serverDatagrams.sent();
        CompletableFuture<long[]> counts = new CompletableFuture<>();
        serverLoop.next().execute(() -> {
            QuicStreamChannel stream = serverStreams.get(0);
            for (int frame = 0; frame < FRAMES; frame++) {
                CoalescedSends.hold(stream);
                stream.writeAndFlush(Unpooled.wrappedBuffer(FRAME));
            }
            long whileHeld = serverDatagrams.sent() - before;
            CoalescedSends.sendAllHeld();
            counts.complete(new long[] {whileHeld, serverDatagrams.sent() - before});
        });
        long[] sent = counts.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        assertThat(sent[0]).as("datagrams while held").isZero();
        assertThat(sent[1]).as("datagrams right after sendAllHeld(), in the same task: the stream's frames in one")
                .isEqualTo(1);
        awaitClientBytes((long) FRAMES * FRAME.length);
    }

    /**
     * {@link SendHeldAfterRead} before a socket's codec: what handlers write while the read completes (as the relay
     * writes a worker's tokens to a client connection) is held until the codec is done, then sent in the same call.
     */
    @Test
    void aSocketsReadCompletionSendsWhatItsHandlersHeld() throws Exception {
        awaitQuiet();
        long before = serverDatagrams.sent();
        CompletableFuture<long[]> counts = new CompletableFuture<>();
        serverLoop.next().execute(() -> {
            long[] whileReading = new long[1];
            EmbeddedChannel socket = new EmbeddedChannel(SendHeldAfterRead.INSTANCE, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                    writeOnEveryStream(true);
                    whileReading[0] = serverDatagrams.sent() - before;
                }
            });
            socket.pipeline().fireChannelReadComplete();
            counts.complete(new long[] {whileReading[0], serverDatagrams.sent() - before});
            socket.finishAndReleaseAll();
        });
        long[] sent = counts.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        assertThat(sent[0]).as("datagrams while the read completes").isZero();
        assertThat(sent[1]).as("datagrams once it completed, in the same call: one per stream")
                .isBetween((long) STREAMS, STREAMS + 4L);
        awaitClientBytes((long) STREAMS * FRAMES * FRAME.length);
    }

    @Test
    void aPassThatHoldsAgainAfterTheSendIsSentToo() throws Exception {
        datagramsForOnePass(true);
        datagramsForOnePass(true);

        awaitClientBytes(2L * STREAMS * FRAMES * FRAME.length);
    }

    /** Counts what a client stream receives. */
    private final class CountBytes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            clientBytes.addAndGet(((ByteBuf) msg).readableBytes());
            ReferenceCountUtil.release(msg);
        }
    }

    /** Writes {@link #FRAMES} frames on every stream in one task of the server's loop; the datagrams sent for them. */
    private long datagramsForOnePass(boolean hold) throws Exception {
        awaitQuiet();
        long before = serverDatagrams.sent();
        CompletableFuture<Void> written = new CompletableFuture<>();
        serverLoop.next().execute(() -> {
            writeOnEveryStream(hold);
            written.complete(null);
        });
        written.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        // a task queued after the writes runs after the held connection was sent (the loop runs tasks in order)
        CompletableFuture<Long> after = new CompletableFuture<>();
        serverLoop.next().execute(() -> after.complete(serverDatagrams.sent()));
        return after.get(DEADLINE.toSeconds(), TimeUnit.SECONDS) - before;
    }

    /** Writes {@link #FRAMES} frames on every server stream, held or not; call on the server's loop. */
    private void writeOnEveryStream(boolean hold) {
        for (int frame = 0; frame < FRAMES; frame++) {
            for (QuicStreamChannel stream : serverStreams) {
                if (hold) {
                    CoalescedSends.hold(stream);
                }
                stream.writeAndFlush(Unpooled.wrappedBuffer(FRAME));
            }
        }
    }

    /** Waits until the server has sent nothing for a while (handshake, ACKs): only the writes are then counted. */
    private void awaitQuiet() {
        List<Long> samples = new ArrayList<>();
        await("the server is quiet").atMost(DEADLINE).pollInterval(Duration.ofMillis(50)).until(() -> {
            samples.add(serverDatagrams.sent());
            int n = samples.size();
            return n >= 4 && samples.get(n - 1).equals(samples.get(n - 4));
        });
    }

    private void awaitClientBytes(long expected) {
        await("the client received every byte").atMost(DEADLINE).until(() -> clientBytes.get() == expected);
    }
}
