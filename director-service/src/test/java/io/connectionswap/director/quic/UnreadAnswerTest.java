package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.FakeWorkerConnector;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.codec.MessageEncoder;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.quic.Heartbeats;
import io.connectionswap.protocol.quic.QuicStreams;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client stream the director answers once and ends (a STATUS_REQUEST's answer, an ERROR after bad input), whose
 * client reads nothing of the answer: the stream's flow-control window stays full, the answer stays queued.
 */
class UnreadAnswerTest {

    private static final DirectorProperties PROPERTIES = TestDirectorProperties.defaults();
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);
    private static final Duration FIRST_FRAME_TIMEOUT = Duration.ofSeconds(10);

    private final EventLoop routingLoop = new DefaultEventLoop();
    private final DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), routingLoop);
    private final WorkerRegistry registry = new WorkerRegistry(routingLoop, Runnable::run,
            new FakeWorkerConnector(routingLoop), PROPERTIES, HEALTH, meters);

    @AfterEach
    void stop() {
        routingLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /**
     * The status answer was written and our FIN (with its linger) was to follow only once the write completed: a
     * client that sent STATUS_REQUEST (and its FIN) and never read gave no credit, the write never completed, and
     * nothing ended the stream (the first-frame watch passes a stream with no frame begun): the stream and its queued
     * answer (every worker the director knows) were held for as long as the connection lived, up to
     * CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION of them per connection. Now our FIN is queued behind the answer at
     * once, so the linger bounds the delivery too: a client that has not read it all within the linger is reset.
     */
    @Test
    void aClientThatNeverReadsItsStatusAnswerIsResetWithinTheLinger() {
        EmbeddedQuicStream stream = clientStream(4);
        stream.withholdCredit();

        stream.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new StatusRequest("test")));
        stream.peerFinished();
        stream.checkException();
        assertThat(stream.outboundMessages()).as("nothing of the answer left: the client gives no credit").isEmpty();

        stream.advanceTimeBy(QuicStreams.DEFAULT_LINGER.plusSeconds(1).toNanos(), TimeUnit.NANOSECONDS);
        stream.runScheduledPendingTasks();
        stream.runPendingTasks();

        assertThat(stream.isActive()).as("the stream of an unread status answer is ended within the linger").isFalse();
        assertThat(stream.resetCode()).as("reset, with").isEqualTo(ErrorCode.CANCELLED.code());
    }

    /**
     * Bad input (here a PAUSE as the first frame) ends a stream with an ERROR frame, and our FIN (with its linger)
     * was to follow only once that frame was written: a client that gave no credit on the stream kept the write
     * pending and the stream open for as long as the connection lived, opening stream after stream (each one held,
     * its ERROR queued) up to CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION. Now our FIN is queued behind the ERROR at
     * once and the linger resets a client that reads neither.
     */
    @Test
    void aClientThatNeverReadsTheErrorEndingItsStreamIsResetWithinTheLinger() {
        EmbeddedQuicStream stream = clientStream(8);
        stream.withholdCredit();

        stream.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new Pause(true)));
        stream.checkException();

        stream.advanceTimeBy(QuicStreams.DEFAULT_LINGER.plusSeconds(1).toNanos(), TimeUnit.NANOSECONDS);
        stream.runScheduledPendingTasks();
        stream.runPendingTasks();

        assertThat(stream.isActive()).as("the stream of an unread ERROR is ended within the linger").isFalse();
        assertThat(stream.resetCode()).as("reset, with").isEqualTo(ErrorCode.CANCELLED.code());
    }

    /** A stream of a client connection, set up as DirectorQuicServer's StreamInitializer sets it up; time frozen. */
    private EmbeddedQuicStream clientStream(long id) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(PeerConnections.connection("client"), id,
                UnpooledByteBufAllocator.DEFAULT);
        stream.freezeTime();
        stream.pipeline().addLast(new FrameDecoder(FrameLimits.DEFAULTS), new FirstFrameTimeout(FIRST_FRAME_TIMEOUT,
                meters), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE, ControlStreams.marker(found -> { }),
                Heartbeats.responder(), new FirstMessageRouter(null, registry, PROPERTIES.id(), meters));
        return stream;
    }
}
