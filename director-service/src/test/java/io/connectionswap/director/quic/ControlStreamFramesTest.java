package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the director does with a frame other than HEARTBEAT on a client connection's control stream. */
class ControlStreamFramesTest {

    private static final FrameLimits LIMITS = new FrameLimits(4096, 65536);
    private static final DirectorProperties PROPERTIES = TestDirectorProperties.defaults();
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final DefaultEventLoopGroup meterLoops = new DefaultEventLoopGroup(1);
    private final DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), meterLoops);
    private final WorkerRegistry registry = new WorkerRegistry(loop.eventLoop(), Runnable::run,
            (worker, remote, onLost) -> loop.eventLoop().newFailedFuture(new IllegalStateException("no workers here")),
            PROPERTIES, HEALTH, meters);
    private final Relay relay = new Relay(registry, PROPERTIES, LimitProperties.DEFAULTS, LIMITS, meters);

    @AfterEach
    void release() {
        loop.finishAndReleaseAll();
        meterLoops.shutdownGracefully();
    }

    /**
     * A GENERATE on the control stream (the stream that opened with a HEARTBEAT, where the director echoes heartbeats
     * and says GOAWAY) was taken as the first frame of a generation stream: the relay served (here: refused) it and
     * ended the stream with its final frame and FIN, so the connection lost its heartbeat echoes and its GOAWAY. Now
     * the frame is refused with ERROR UNEXPECTED_MESSAGE on the control stream, which stays open and keeps echoing;
     * three such frames are one WARN line.
     */
    @Test
    void aGenerateOnTheControlStreamIsRefusedAndTheStreamKeepsEchoingHeartbeats() {
        QuicChannel connection = PeerConnections.connection("client");
        EmbeddedQuicStream control = new EmbeddedQuicStream(connection, 0, UnpooledByteBufAllocator.DEFAULT);
        DirectorStreamPipeline.install(control, LIMITS, relay, registry, PROPERTIES.id(), meters);
        List<Object> sent;
        long warnings;
        try (CapturedLogs logs = CapturedLogs.of(FirstMessageRouter.class)) {
            write(control, new Heartbeat(1));
            for (int i = 0; i < 3; i++) {
                write(control, GenerationRequest.completion("g-" + i, "p", 5));
            }
            write(control, new Heartbeat(2));
            sent = sent(control);
            warnings = logs.events().stream().filter(event -> event.getLevel() == Level.WARN).count();
        }

        assertThat(sent).filteredOn(StreamError.class::isInstance).extracting(error -> ((StreamError) error).code())
                .containsExactly(ErrorCode.UNEXPECTED_MESSAGE, ErrorCode.UNEXPECTED_MESSAGE,
                        ErrorCode.UNEXPECTED_MESSAGE);
        assertThat(sent).as("the echo of the heartbeat after them").last().isEqualTo(new Heartbeat(2));
        assertThat(sent).as("no FIN on the control stream").noneMatch(QuicStreamFrame.class::isInstance);
        assertThat(control.isOutputShutdown()).as("the control stream ended").isFalse();
        assertThat(ControlStreams.of(connection)).as("the connection's control stream").isSameAs(control);
        assertThat(relay.activeSessions()).isZero();
        assertThat(warnings).as("WARN lines for three GENERATE frames on one control stream").isEqualTo(1);
        control.finishAndReleaseAll();
    }

    private void write(EmbeddedQuicStream stream, Message message) {
        stream.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, message));
        loop.runPendingTasks();
        stream.runPendingTasks();
        stream.checkException();
    }

    private static List<Object> sent(EmbeddedQuicStream stream) {
        List<Object> sent = new ArrayList<>();
        Object written;
        while ((written = stream.readOutbound()) != null) {
            sent.add(written);
            ReferenceCountUtil.release(written);
        }
        return sent;
    }
}
