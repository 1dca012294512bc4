package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
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
        assertThat(pending.held()).as("the budget's count").isEqualTo(2 * FULL_FRAME);
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
        assertThat(pending.held()).isEqualTo(3 * FULL_FRAME);
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
