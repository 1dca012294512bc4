package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.codec.MessageEncoder;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.quic.Heartbeats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A client's control stream only ever carries heartbeats, so {@link FirstFrameTimeout} stays on it for the
 * connection's life; with aa6902d every heartbeat only restarted it. When the client's heartbeat interval is not
 * well under CONNECTION_SWAP_FIRST_FRAME_TIMEOUT (a client with {@code heartbeat(15s, 45s)}, which the client library
 * accepts, against the default 10 s; or an operator hardening the director with CONNECTION_SWAP_FIRST_FRAME_TIMEOUT=1s
 * against the clients' default 1 s heartbeat, where any jitter is enough), the director resets the control stream of
 * a live, idle client with STREAM_TIMEOUT. The client then had no heartbeat any more (its sender stops with the
 * stream: a dead director is no longer noticed) and can no longer get GOAWAY at a director drain. The stream holds no
 * partial frame, so there is nothing a slowloris could pin here; the guard now acts only on a stream that never sent
 * a frame or holds an incomplete one.
 *
 * <p>Scaled: a first-frame timeout of 1 s, a client heartbeating every 1.5 s. Same pipeline order as
 * {@code DirectorQuicServer.StreamInitializer} for a client connection's stream.
 */
class ControlStreamHeartbeatPaceTest {

    private static final DirectorMeters METERS = new DirectorMeters(new SimpleMeterRegistry(),
            new DefaultEventLoopGroup(1));
    private static final Duration FIRST_FRAME_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration CLIENT_HEARTBEAT_INTERVAL = Duration.ofMillis(1500);

    @Test
    void aControlStreamThatHeartbeatsSlowerThanTheFirstFrameTimeoutIsNotReset() {
        EmbeddedQuicStream control = new EmbeddedQuicStream(PeerConnections.connection(null), 2,
                UnpooledByteBufAllocator.DEFAULT);
        control.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS),
                new FirstFrameTimeout(FIRST_FRAME_TIMEOUT, METERS), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE,
                ControlStreams.marker(stream -> { }), Heartbeats.responder(), new Sink());

        for (int beat = 1; beat <= 3; beat++) {
            control.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new Heartbeat(beat)));
            control.runPendingTasks();
            drainOutbound(control);
            long sent = System.nanoTime();
            // the stream's timers run while the client waits for its next heartbeat
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
                control.runScheduledPendingTasks();
                control.runPendingTasks();
                return !control.isActive() || System.nanoTime() - sent >= CLIENT_HEARTBEAT_INTERVAL.toNanos();
            });
            assertThat(control.isActive()).as("the control stream of a live client heartbeating every %s, after "
                    + "heartbeat %d (first-frame timeout %s)", CLIENT_HEARTBEAT_INTERVAL, beat, FIRST_FRAME_TIMEOUT)
                    .isTrue();
        }
        control.finishAndReleaseAll();
    }

    private static void drainOutbound(EmbeddedQuicStream stream) {
        Object echo;
        while ((echo = stream.readOutbound()) != null) {
            ReferenceCountUtil.release(echo);
        }
    }

    private static final class Sink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
