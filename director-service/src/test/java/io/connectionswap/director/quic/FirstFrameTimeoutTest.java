package io.connectionswap.director.quic;

import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.codec.MessageEncoder;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The director's slowloris guard ({@link FirstFrameTimeout}, CONNECTION_SWAP_FIRST_FRAME_TIMEOUT) was removed by the
 * first complete frame of any type, and a HEARTBEAT is one. A peer (an anonymous client with the default
 * CONNECTION_SWAP_CLIENT_AUTH=optional) could send one heartbeat on each stream, then the header of a GENERATE frame of
 * maxRequestBytes (4 MB by default) and all but its last byte: nothing reset the stream, and the frame decoder held
 * the partial request for as long as the connection lived (the peer's heartbeats kept it alive): with 1000 streams per
 * connection, ~4 GB per connection. A heartbeat now restarts the timeout instead of ending it.
 *
 * <p>Same pipeline order as {@code DirectorQuicServer.StreamInitializer}: FrameDecoder, first-frame-timeout,
 * MessageDecoder, MessageEncoder, Heartbeats responder, then the router (a sink here).
 */
class FirstFrameTimeoutTest {

    private static final DirectorMeters METERS = new DirectorMeters(new SimpleMeterRegistry(),
            new DefaultEventLoopGroup(1));

    @Test
    void aStreamThatSendsAHeartbeatThenNeverCompletesItsGenerateFrameIsStillResetAfterTheFirstFrameTimeout() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(PeerConnections.connection(null), 0,
                UnpooledByteBufAllocator.DEFAULT);
        stream.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS),
                new FirstFrameTimeout(Duration.ofSeconds(1), METERS), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE,
                Heartbeats.responder(), new Sink());

        stream.writeInbound(frame(FrameType.HEARTBEAT, Unpooled.buffer(8).writeLong(1L)));
        // a GENERATE of 1 MB announced, all but one byte sent: the decoder buffers it, waiting for the last byte
        int payload = 1024 * 1024;
        ByteBuf partial = Unpooled.buffer(5 + payload).writeByte(FrameType.GENERATE.code()).writeInt(payload)
                .writeZero(payload - 1);
        stream.writeInbound(partial);

        assertReset(stream, "a stream whose request never completes is reset (STREAM_TIMEOUT) even after a heartbeat");
    }

    /** Without the heartbeat first, the same partial GENERATE is reset (as it always was). */
    @Test
    void withoutAHeartbeatFirstThePartialGenerateIsReset() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(PeerConnections.connection(null), 0,
                UnpooledByteBufAllocator.DEFAULT);
        stream.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS),
                new FirstFrameTimeout(Duration.ofSeconds(1), METERS), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE,
                Heartbeats.responder(), new Sink());
        int payload = 1024 * 1024;
        stream.writeInbound(Unpooled.buffer(5 + payload).writeByte(FrameType.GENERATE.code()).writeInt(payload)
                .writeZero(payload - 1));

        assertReset(stream, "a partial first frame is reset");
    }

    /**
     * The client token stream: its first frame (TOKEN_STREAM) is complete, so the watch ends, and the client sends
     * nothing after it by protocol. A hostile client then begins a GENERATE frame (its limit is the request limit,
     * 4 MB by default, on any stream) and never completes it: nothing resets the stream, and the frame decoder holds the
     * partial request for as long as the connection lives (the client's heartbeats on its control stream keep it
     * alive): with one such stream per connection and 1000 connections, ~4 GB of the director's memory, and no
     * STREAM_TIMEOUT, no first_frame limit hit, no log line. The README promises a frame begun after a heartbeat
     * completes within one to two timeouts; after TOKEN_STREAM nothing is watched at all.
     */
    @Test
    void aClientTokenStreamThatBeginsAFrameAndNeverCompletesItIsReset() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(PeerConnections.connection("client"), 4,
                UnpooledByteBufAllocator.DEFAULT);
        // as DirectorQuicServer's StreamInitializer sets up a client connection's stream
        stream.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS),
                new FirstFrameTimeout(Duration.ofSeconds(1), METERS), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE,
                ControlStreams.marker(found -> { }), Heartbeats.responder(),
                new FirstMessageRouter(null, null, "d-test", METERS));

        stream.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new TokenStream(TokenStream.VERSION)));
        stream.checkException();
        check(ControlStreams.isClientTokenStream(stream), "the stream is its connection's client token stream");
        int payload = 1024 * 1024;
        stream.writeInbound(Unpooled.buffer(5 + payload).writeByte(FrameType.GENERATE.code()).writeInt(payload)
                .writeZero(payload - 1));
        check(stream.pipeline().get(FrameDecoder.class).bufferedBytes() == 4 + payload,
                "the director buffers the partial frame");

        assertReset(stream, "a client token stream whose frame never completes is reset (or its partial frame dropped)"
                + " within two first-frame timeouts, as every other stream's");
    }

    /**
     * A client that opened stream after stream and sent nothing on them got a WARN line per stream (`no complete frame
     * in time`): a thousand streams every first-frame timeout, for as long as it liked. Now the first of a connection
     * is a WARN and its repeats DEBUG (with a WARN reminder counting them); every stream is still reset.
     */
    @Test
    void aConnectionWhoseStreamsKeepSendingNothingGetsOneWarnNotOnePerStream() {
        io.netty.handler.codec.quic.QuicChannel connection = PeerConnections.connection("client");
        try (CapturedLogs logs = CapturedLogs.of(FirstFrameTimeout.class)) {
            for (int i = 0; i < 5; i++) {
                EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, 4L * i,
                        UnpooledByteBufAllocator.DEFAULT);
                stream.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS),
                        new FirstFrameTimeout(Duration.ofMillis(100), METERS), new Sink());
                assertReset(stream, "a silent stream is reset");
            }
            check(logs.events().stream().filter(event -> event.getLevel() == Level.WARN).count() == 1,
                    "one WARN for 5 silent streams of one connection: " + logs.events());
        }
    }

    /**
     * The director reset a stream whose first frame was half sent (STREAM_TIMEOUT, its own WARN), and when the stream
     * closed the frame decoder reported the cut-off frame as the client's: a second WARN, {@code error=TRUNCATED_FRAME
     * ... director ended stream after bad input}, for a stream the director ended itself. One line per stream end.
     */
    @Test
    void aStreamResetForItsHalfSentFirstFrameIsNotReportedAsTruncatedToo() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DirectorMeters meters = new DirectorMeters(registry, new DefaultEventLoopGroup(1));
        try (CapturedLogs logs = CapturedLogs.of(FirstFrameTimeout.class.getPackageName())) {
            EmbeddedQuicStream stream = routedStream(meters);
            stream.writeInbound(halfAGenerateFrame());

            assertReset(stream, "a partial first frame is reset");

            check(stream.resetCode() == ErrorCode.STREAM_TIMEOUT.code(), "reset with STREAM_TIMEOUT: "
                    + stream.resetCode());
            check(logs.events().stream().filter(event -> event.getLevel() == Level.WARN).count() == 1,
                    "one WARN for the stream the director reset, its own: " + logs.events());
            check(logs.events().stream().noneMatch(event -> event.getFormattedMessage().contains("TRUNCATED_FRAME")),
                    "no TRUNCATED_FRAME line for a stream the director reset: " + logs.events());
            check(registry.get("connection.swap.limit.hits").tag("limit", DirectorMeters.Limit.FIRST_FRAME).counter()
                    .count() == 1, "the first-frame limit counted once");
            check(registry.find("connection.swap.request.errors").tag("code", ErrorCode.TRUNCATED_FRAME.name())
                    .counters().stream().allMatch(counter -> counter.count() == 0), "no truncated request counted");
        }
    }

    /** A client that resets its own stream in the middle of a frame did not send bad input either: no line at all. */
    @Test
    void aStreamThePeerResetInsideAFrameIsNotReportedAsTruncated() {
        try (CapturedLogs logs = CapturedLogs.of(FirstFrameTimeout.class.getPackageName())) {
            EmbeddedQuicStream stream = routedStream(METERS);
            stream.writeInbound(halfAGenerateFrame());

            stream.pipeline().fireExceptionCaught(new QuicStreamResetException("reset by the peer",
                    ErrorCode.CANCELLED.code()));
            stream.runPendingTasks();

            check(!stream.isActive(), "the stream the peer reset is closed");
            check(logs.events().stream().noneMatch(event -> event.getFormattedMessage().contains("TRUNCATED_FRAME")),
                    "no TRUNCATED_FRAME line for a stream the peer reset: " + logs.events());
        }
    }

    /** Half a frame, then the client's FIN: a real truncated request, still reported as such. */
    @Test
    void aStreamFinishedInsideAFrameIsStillReportedAsTruncated() {
        try (CapturedLogs logs = CapturedLogs.of(FirstFrameTimeout.class.getPackageName())) {
            EmbeddedQuicStream stream = routedStream(METERS);
            stream.writeInbound(halfAGenerateFrame());

            stream.peerFinished();

            check(logs.events().stream().anyMatch(event -> event.getLevel() == Level.WARN
                            && event.getFormattedMessage().contains("error=TRUNCATED_FRAME")),
                    "a TRUNCATED_FRAME WARN for a stream that finished inside a frame: " + logs.events());
        }
    }

    /** A client connection's stream as DirectorQuicServer's StreamInitializer sets it up, first-frame timeout 100 ms. */
    private static EmbeddedQuicStream routedStream(DirectorMeters meters) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(PeerConnections.connection("client"), 0,
                UnpooledByteBufAllocator.DEFAULT);
        stream.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS),
                new FirstFrameTimeout(Duration.ofMillis(100), meters), MessageDecoder.INSTANCE,
                MessageEncoder.INSTANCE, ControlStreams.marker(found -> { }), Heartbeats.responder(),
                new FirstMessageRouter(null, null, "d-test", meters));
        return stream;
    }

    /** The header of a 64 KiB GENERATE frame and half its payload. */
    private static ByteBuf halfAGenerateFrame() {
        int payload = 64 * 1024;
        return Unpooled.buffer(5 + payload / 2).writeByte(FrameType.GENERATE.code()).writeInt(payload)
                .writeZero(payload / 2);
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    /** Runs the stream's timers until it is reset; the timeout is 1 s, the deadline 5 s. */
    private static void assertReset(EmbeddedQuicStream stream, String what) {
        await(what).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
            stream.runScheduledPendingTasks();
            stream.runPendingTasks();
            return !stream.isActive();
        });
    }

    private static ByteBuf frame(FrameType type, ByteBuf payload) {
        ByteBuf frame = Unpooled.buffer().writeByte(type.code()).writeInt(payload.readableBytes()).writeBytes(payload);
        payload.release();
        return frame;
    }

    private static final class Sink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
