package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/**
 * What the director holds of frames its clients began and have not completed ({@link PendingRequestBytes}), through
 * the director's own stream pipeline on embedded streams of mocked client connections.
 */
class PendingRequestBytesTest {

    private static final int MAX_REQUEST = FrameLimits.DEFAULTS.maxRequestBytes();
    /** A full-size GENERATE frame, header included. */
    private static final long FULL_FRAME = MAX_REQUEST + 5L;

    private final DefaultEventLoopGroup meterLoops = new DefaultEventLoopGroup(1);
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final DirectorMeters meters = new DirectorMeters(registry, meterLoops);
    private final List<EmbeddedQuicStream> streams = new ArrayList<>();
    private PendingRequestBytes pending = new PendingRequestBytes(LimitProperties.DEFAULTS, meters);

    @AfterEach
    void release() {
        streams.forEach(EmbeddedChannel::finishAndReleaseAll);
        meterLoops.shutdownGracefully();
    }

    /**
     * One client connection's streams each sending all but the last byte of a full-size GENERATE: the director held
     * every one, for the one to two first-frame timeouts its watch allows, and again (its thousand streams: 4 GiB,
     * against the image's 64 MiB of direct memory; sixteen exhausted it). Now the connection holds two such frames at
     * most: each further stream ends with OVERLOADED when its header arrives, what it sent freed at once, counted under
     * {@code limit="pending_request_bytes_per_connection"}, one WARN for the connection; the connection and the two
     * streams live on, and another connection has a budget of its own.
     */
    @Test
    void oneConnectionsIncompleteRequestsAreHeldWithinItsBudget() {
        QuicChannel connection = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(FirstMessageRouter.class)) {
            for (int i = 0; i < 12; i++) {
                codes.addAll(send(open(connection), allButLastByte(MAX_REQUEST)));
            }
            assertThat(logs.events()).filteredOn(event -> event.getLevel() == Level.WARN)
                    .as("WARN lines for ten refused streams of one connection").hasSize(1);
        }

        assertThat(held()).as("bytes of incomplete frames the director holds for one connection")
                .isLessThanOrEqualTo(2 * FULL_FRAME);
        assertThat(pending.held()).as("the budget's count: what of the two frames arrived").isEqualTo(2 * (FULL_FRAME - 1));
        assertThat(codes).as("the streams past the budget").hasSize(10).containsOnly(ErrorCode.OVERLOADED);
        assertThat(streams.subList(0, 2)).as("the two that fit").allSatisfy(stream -> {
            assertThat(stream.isActive()).isTrue();
            assertThat(stream.isOutputShutdown()).isFalse();
        });
        assertThat(streams.get(2).isOutputShutdown()).as("a refused stream ended").isTrue();
        assertThat(connection.isActive()).as("the connection").isTrue();
        assertThat(limitHits(DirectorMeters.Limit.PENDING_REQUEST_BYTES_PER_CONNECTION)).isEqualTo(10);

        QuicChannel other = PeerConnections.connection("client");
        assertThat(send(open(other), allButLastByte(MAX_REQUEST))).as("another connection's stream").isEmpty();
        assertThat(pending.held()).isEqualTo(3 * (FULL_FRAME - 1));
    }

    /**
     * The director-wide budget ({@code CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES}), here one full-size request: a
     * second connection's incomplete GENERATE is refused with OVERLOADED under {@code limit="pending_request_bytes"},
     * and fits once the first completes.
     */
    @Test
    void theDirectorsIncompleteRequestsAreHeldWithinItsBudget() {
        LimitProperties defaults = LimitProperties.DEFAULTS;
        pending = new PendingRequestBytes(new LimitProperties(defaults.maxStreamsPerConnection(),
                defaults.maxClientConnections(), defaults.maxClientConnectionsPerAddress(),
                defaults.firstFrameTimeout(), defaults.maxTokens(), defaults.maxSessionDuration(),
                defaults.maxRequestBytes(), defaults.slowClientTimeout(), defaults.addressValidation(),
                DataSize.ofBytes(FULL_FRAME)), meters);
        EmbeddedQuicStream first = open(PeerConnections.connection("client"));
        assertThat(send(first, allButLastByte(MAX_REQUEST))).isEmpty();

        assertThat(send(open(PeerConnections.connection("client")), allButLastByte(MAX_REQUEST)))
                .as("a second client's stream while the first holds the whole budget")
                .containsExactly(ErrorCode.OVERLOADED);
        assertThat(limitHits(DirectorMeters.Limit.PENDING_REQUEST_BYTES)).isEqualTo(1);

        first.close(); // its client reset it
        assertThat(pending.held()).isZero();
        assertThat(send(open(PeerConnections.connection("client")), allButLastByte(MAX_REQUEST))).isEmpty();
    }

    /**
     * Every way a stream's incomplete frame ends gives its bytes back, once: completed (here into bad input, which ends
     * the stream), cut short by the client's FIN, the stream closed (reset), refused over the budget; after many of
     * each nothing is held.
     */
    @Test
    void everyWayAnIncompleteFrameEndsGivesItsBytesBack() {
        QuicChannel connection = PeerConnections.connection("client");
        for (int round = 0; round < 50; round++) {
            EmbeddedQuicStream completed = open(connection);
            send(completed, allButLastByte(1000));
            send(completed, lastByte()); // a GENERATE of zeros: malformed, but complete

            EmbeddedQuicStream truncated = open(connection);
            send(truncated, allButLastByte(1000));
            truncated.peerFinished();

            EmbeddedQuicStream reset = open(connection);
            send(reset, allButLastByte(1000));
            reset.close();

            EmbeddedQuicStream big = open(connection);
            send(big, allButLastByte(MAX_REQUEST));
            EmbeddedQuicStream bigToo = open(connection);
            send(bigToo, allButLastByte(MAX_REQUEST));
            assertThat(send(open(connection), allButLastByte(1000))).as("over the connection's budget")
                    .containsExactly(ErrorCode.OVERLOADED);
            send(big, lastByte());
            bigToo.finishAndReleaseAll();

            assertThat(pending.held()).as("held after round %d", round).isZero();
            streams.forEach(EmbeddedChannel::finishAndReleaseAll);
            streams.clear();
        }
        assertThat(pending.held()).isZero();
    }

    /**
     * A frame is charged its declared length when its 5-byte header arrives, not the bytes received: two connections
     * that send nothing but four GENERATE headers declaring a full-size request (20 bytes in all, then silence) hold
     * the whole director-wide budget (here 4 full-size requests, the image's 16 MiB), and every other client's request
     * that does not arrive in one read is refused OVERLOADED, for as long as those streams stay open.
     */
    @Test
    void framesHeadersAloneDoNotHoldTheDirectorsBudget() {
        pending = new PendingRequestBytes(withPendingBudget(4 * FULL_FRAME), meters);
        for (int attacker = 0; attacker < 2; attacker++) {
            QuicChannel connection = PeerConnections.connection("client");
            for (int i = 0; i < 2; i++) {
                assertThat(send(open(connection), headerOnly(MAX_REQUEST))).isEmpty();
            }
        }
        long received = 4 * 5;
        long heldByDecoders = held();

        EmbeddedQuicStream honest = open(PeerConnections.connection("client"));
        List<ErrorCode> codes = new ArrayList<>(send(honest, allButLastByte(64 * 1024)));
        codes.addAll(send(honest, lastByte())); // a GENERATE of zeros: malformed once complete, never OVERLOADED

        assertThat(codes).as("a 64 KiB GENERATE of another client, arriving in two reads, after two connections sent "
                + "%d bytes of frame headers (the decoders hold %d bytes; the budget counts %d held)", received,
                heldByDecoders, pending.held()).doesNotContain(ErrorCode.OVERLOADED);
    }

    /**
     * A gateway carries all its users on its one connection: twenty requests of 512 KiB starting at once (say, the
     * generations it resumes after its director went away), each stream's first packets read before their rest, are
     * charged 20 x 512 KiB at once although the director holds a few KiB of them, and all past the fifteenth are
     * refused OVERLOADED.
     */
    @Test
    void aGatewaysConcurrentMediumRequestsAreNotRefusedForBytesNotYetSent() {
        QuicChannel gateway = PeerConnections.connection("client");
        int payload = 512 * 1024;
        List<EmbeddedQuicStream> requests = new ArrayList<>();
        List<ErrorCode> codes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            EmbeddedQuicStream stream = open(gateway);
            requests.add(stream);
            ByteBuf firstPacket = Unpooled.buffer(1200);
            firstPacket.writeByte(FrameType.GENERATE.code()).writeInt(payload).writeZero(1195);
            codes.addAll(send(stream, firstPacket));
        }
        long heldByDecoders = held();
        for (EmbeddedQuicStream stream : requests) {
            if (stream.isActive() && !stream.isOutputShutdown()) {
                codes.addAll(send(stream, Unpooled.buffer(payload - 1195).writeZero(payload - 1195)));
            }
        }

        assertThat(codes).as("errors for 20 concurrent 512 KiB requests of one connection whose first packets hold %d "
                + "bytes", heldByDecoders).doesNotContain(ErrorCode.OVERLOADED);
    }

    /**
     * A client's control stream carries its heartbeats, and ending it leaves the connection without echoes (its client
     * then closes it and every generation on it moves). While the director-wide budget is full (here one other
     * client's request arriving), a HEARTBEAT of 13 bytes whose header and rest come in two reads (quiche packs a
     * STREAM frame into a packet's remaining room) is refused OVERLOADED and the control stream is ended.
     */
    @Test
    void aHeartbeatSplitAcrossReadsDoesNotEndTheControlStreamWhileTheBudgetIsFull() {
        pending = new PendingRequestBytes(withPendingBudget(FULL_FRAME), meters);
        EmbeddedQuicStream control = open(PeerConnections.connection("client"));
        assertThat(send(control, MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new Heartbeat(1)))).isEmpty();
        assertThat(send(open(PeerConnections.connection("client")), allButLastByte(MAX_REQUEST)))
                .as("another client's request arriving, holding the director-wide budget").isEmpty();

        ByteBuf heartbeat = MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new Heartbeat(2));
        List<ErrorCode> codes = new ArrayList<>(send(control, heartbeat.readRetainedSlice(Frames.HEADER_BYTES)));
        codes.addAll(send(control, heartbeat));

        assertThat(codes).as("ERRORs on the control stream for a heartbeat split in two reads").isEmpty();
        assertThat(control.isOutputShutdown()).as("the control stream ended").isFalse();
    }

    private static LimitProperties withPendingBudget(long bytes) {
        LimitProperties defaults = LimitProperties.DEFAULTS;
        return new LimitProperties(defaults.maxStreamsPerConnection(), defaults.maxClientConnections(),
                defaults.maxClientConnectionsPerAddress(), defaults.firstFrameTimeout(), defaults.maxTokens(),
                defaults.maxSessionDuration(), defaults.maxRequestBytes(), defaults.slowClientTimeout(),
                defaults.addressValidation(), DataSize.ofBytes(bytes));
    }

    /** The 5-byte header of a GENERATE frame declaring {@code payload} bytes, nothing of the payload. */
    private static ByteBuf headerOnly(int payload) {
        return Unpooled.buffer(5).writeByte(FrameType.GENERATE.code()).writeInt(payload);
    }

    @Test
    void unsetTheBudgetIsAQuarterOfTheDirectMemoryCapAndAtLeastOneRequest() {
        assertThat(LimitProperties.DEFAULTS.maxPendingRequestBytes().toBytes())
                .isEqualTo(Math.max(FULL_FRAME, PlatformDependent.maxDirectMemory() / 4));
        assertThat(LimitProperties.DEFAULTS.maxPendingRequestBytesPerConnection()).isEqualTo(2 * FULL_FRAME);
        LimitProperties defaults = LimitProperties.DEFAULTS;
        assertThatThrownBy(() -> new LimitProperties(defaults.maxStreamsPerConnection(),
                defaults.maxClientConnections(), defaults.maxClientConnectionsPerAddress(),
                defaults.firstFrameTimeout(), defaults.maxTokens(), defaults.maxSessionDuration(),
                defaults.maxRequestBytes(), defaults.slowClientTimeout(), defaults.addressValidation(),
                DataSize.ofMegabytes(1)))
                .hasMessageContaining("CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES=1048576B (expected: >= one full-size");
    }

    private EmbeddedQuicStream open(QuicChannel connection) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, 4L * streams.size(),
                UnpooledByteBufAllocator.DEFAULT);
        streams.add(stream);
        DirectorStreamPipeline.install(stream, FrameLimits.DEFAULTS, pending.of(connection), null, null, "d-test",
                meters);
        return stream;
    }

    /** Writes {@code data} to {@code stream}; the codes of the ERROR frames the director sent. */
    private static List<ErrorCode> send(EmbeddedQuicStream stream, ByteBuf data) {
        stream.writeInbound(data);
        List<ErrorCode> codes = stream.errorCodesSent();
        Object read;
        while ((read = stream.readInbound()) != null) {
            ReferenceCountUtil.release(read);
        }
        return codes;
    }

    /** Bytes the streams' frame decoders hold. */
    private long held() {
        long held = 0;
        for (EmbeddedQuicStream stream : streams) {
            FrameDecoder decoder = stream.pipeline().get(FrameDecoder.class);
            held += decoder == null ? 0 : decoder.bufferedBytes();
        }
        return held;
    }

    private double limitHits(String limit) {
        return registry.get("connection.swap.limit.hits").tag("limit", limit).counter().count();
    }

    /** A GENERATE frame declaring {@code payload} bytes, all sent but its last one. */
    private static ByteBuf allButLastByte(int payload) {
        ByteBuf frame = Unpooled.buffer(5 + payload);
        frame.writeByte(FrameType.GENERATE.code()).writeInt(payload).writeZero(payload - 1);
        return frame;
    }

    private static ByteBuf lastByte() {
        return Unpooled.wrappedBuffer(new byte[] {0});
    }
}
