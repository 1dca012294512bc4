package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.quic.testing.StandInQuicServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The transports under QUIC, over real loopback sockets: every pairing of epoll and nio carries a stream intact, and
 * on epoll with UDP GSO a burst of full packets leaves in fewer writes than datagrams.
 */
class QuicTransportTest {

    private static final Duration DEADLINE = LoopbackQuic.DEADLINE;
    /** Large enough for many full-size packets in one flush, so GSO has equally sized segments to join. */
    private static final int PAYLOAD_BYTES = 256 * 1024;

    @Test
    void settingsParseAndNameTheSettingWhenWrong() {
        assertThat(QuicTransport.fromSetting("S", "nio")).isEqualTo(QuicTransport.NIO);
        assertThat(QuicTransport.fromSetting("S", " NIO ")).isEqualTo(QuicTransport.NIO);
        assertThat(QuicTransport.fromSetting("S", "auto"))
                .isEqualTo(Epoll.isAvailable() ? QuicTransport.EPOLL : QuicTransport.NIO);
        assertThat(QuicTransport.fromSetting("S", null)).isEqualTo(QuicTransport.fromSetting("S", "auto"));
        assertThatThrownBy(() -> QuicTransport.fromSetting("CONNECTION_SWAP_QUIC_TRANSPORT", "io_uring"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CONNECTION_SWAP_QUIC_TRANSPORT=io_uring (expected: auto, epoll or nio)");
        if (Epoll.isAvailable()) {
            assertThat(QuicTransport.fromSetting("S", "epoll")).isEqualTo(QuicTransport.EPOLL);
        } else {
            assertThatThrownBy(() -> QuicTransport.fromSetting("S", "epoll")).hasMessageContaining("does not load");
        }
    }

    @Test
    void aGroupAndItsLoopsAreOfTheTransportTheyWereMadeFor() {
        EventLoopGroup nio = QuicEventLoops.create("test-nio", 1);
        try {
            assertThat(QuicTransport.of(nio)).isEqualTo(QuicTransport.NIO);
            assertThat(QuicTransport.of(nio.next())).isEqualTo(QuicTransport.NIO);
            assertThat(QuicTransport.supports(nio)).isTrue();
            assertThat(QuicTransport.supports(nio.next())).isTrue();
        } finally {
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        assumeThat(Epoll.isAvailable()).as("native epoll loads here").isTrue();
        EventLoopGroup epoll = QuicEventLoops.create("test-epoll", 1, QuicTransport.EPOLL);
        try {
            assertThat(QuicTransport.of(epoll)).isEqualTo(QuicTransport.EPOLL);
            assertThat(QuicTransport.of(epoll.next())).isEqualTo(QuicTransport.EPOLL);
            assertThat(QuicTransport.supports(epoll)).isTrue();
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** QuicTransport.of takes a group that does no I/O for NIO: supports says its sockets cannot register there. */
    @Test
    void aGroupOfNeitherTransportIsNotSupported() {
        DefaultEventLoopGroup notIo = new DefaultEventLoopGroup(1);
        try {
            assertThat(QuicTransport.supports(notIo)).isFalse();
            assertThat(QuicTransport.supports(notIo.next())).isFalse();
        } finally {
            notIo.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBusyPollingGroupRunsTasksTimersAndSocketsAndNeedsEpoll() throws Exception {
        assertThatThrownBy(() -> QuicEventLoops.create("test-busy-nio", 1, QuicTransport.NIO, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs the epoll transport");
        assumeThat(Epoll.isAvailable()).as("native epoll loads here").isTrue();
        EventLoopGroup busy = QuicEventLoops.create("test-busy", 1, QuicTransport.EPOLL, true);
        try {
            assertThat(QuicTransport.of(busy)).isEqualTo(QuicTransport.EPOLL);
            assertThat(busy.submit(() -> "task").get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("task");
            assertThat(busy.schedule(() -> "timer", 20, TimeUnit.MILLISECONDS).get(DEADLINE.toSeconds(),
                    TimeUnit.SECONDS)).isEqualTo("timer");
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            Channel socket = QuicTransport.EPOLL.datagramBootstrap(busy)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            DatagramPacket packet = (DatagramPacket) msg;
                            received.add(packet.content().toString(StandardCharsets.US_ASCII));
                            packet.release();
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (DatagramSocket sender = new DatagramSocket()) {
                byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                sender.send(new java.net.DatagramPacket(hello, hello.length, socket.localAddress()));
                assertThat(received.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("datagram read by the busy loop")
                        .isEqualTo("hello");
            } finally {
                socket.close().sync();
            }
        } finally {
            busy.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest(name = "server {0} (gso {1}), client {2}")
    @CsvSource({"EPOLL, true, EPOLL", "EPOLL, false, NIO", "NIO, false, EPOLL", "EPOLL, true, NIO"})
    void aStreamArrivesIntactOverEveryPairing(QuicTransport serverTransport, boolean gso, QuicTransport clientTransport,
                                              @TempDir Path pki) throws Exception {
        assumeThat(Epoll.isAvailable()).as("native epoll loads here").isTrue();
        Transfer transfer = transfer(pki, serverTransport, gso, clientTransport);

        assertThat(transfer.receivedCrc).as("the bytes the client read").isEqualTo(transfer.sentCrc);
        if (gso && serverTransport.gsoAvailable(true)) {
            assertThat(transfer.writes).as("UDP writes for %d datagrams with GSO", transfer.datagrams)
                    .isLessThan(transfer.datagrams);
        } else {
            assertThat(transfer.writes).as("UDP writes without GSO: one per datagram").isEqualTo(transfer.datagrams);
        }
    }

    private record Transfer(long sentCrc, long receivedCrc, long datagrams, long writes) {
    }

    /** The server writes {@link #PAYLOAD_BYTES} on a stream the client opened, in one flush, and ends it. */
    private static Transfer transfer(Path pki, QuicTransport serverTransport, boolean gso,
                                     QuicTransport clientTransport) throws Exception {
        byte[] payload = new byte[PAYLOAD_BYTES];
        Arrays.fill(payload, (byte) 'x');
        for (int i = 0; i < payload.length; i += 97) {
            payload[i] = (byte) i;
        }
        CRC32 sent = new CRC32();
        sent.update(payload);
        DatagramCounter serverDatagrams = new DatagramCounter();
        ChannelHandler answer = StandInQuicServer.onEachRead(ctx -> ctx.writeAndFlush(Unpooled.wrappedBuffer(payload))
                .addListener(written -> ((QuicStreamChannel) ctx.channel()).shutdownOutput()));
        try (LoopbackQuic quic = LoopbackQuic.open(pki, serverTransport, clientTransport, answer,
                serverTransport.segments(gso), serverDatagrams)) {
            CRC32 received = new CRC32();
            AtomicLong receivedBytes = new AtomicLong();
            QuicStreamChannel stream = quic.connection().createStream(QuicStreamType.BIDIRECTIONAL,
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf bytes = (ByteBuf) msg;
                            byte[] chunk = new byte[bytes.readableBytes()];
                            bytes.readBytes(chunk);
                            bytes.release();
                            received.update(chunk);
                            receivedBytes.addAndGet(chunk.length);
                        }
                    }).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            long datagramsBefore = serverDatagrams.sent();
            long writesBefore = serverDatagrams.writes();
            stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
            await("the client read the whole payload").atMost(DEADLINE)
                    .until(() -> receivedBytes.get() == PAYLOAD_BYTES);
            return new Transfer(sent.getValue(), received.getValue(), serverDatagrams.sent() - datagramsBefore,
                    serverDatagrams.writes() - writesBefore);
        }
    }
}
