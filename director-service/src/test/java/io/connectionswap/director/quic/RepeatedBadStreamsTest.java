package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The log lines of a connection whose streams keep bringing bad input. */
class RepeatedBadStreamsTest {

    private final DefaultEventLoopGroup meterLoops = new DefaultEventLoopGroup(1);
    private final DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), meterLoops);

    @AfterEach
    void release() {
        meterLoops.shutdownGracefully();
    }

    /**
     * A client that opened stream after stream with a bad first frame got a WARN line per stream
     * ({@code director ended stream after bad input}), as fast as it could open them: a flood into the async console's
     * 16 384-line queue. Now the first such problem of a connection is a WARN, its repeats are DEBUG, and a WARN
     * reminder (RepeatedProblems) says how often it came since; every stream still gets its ERROR, and another
     * connection's first problem is a WARN of its own.
     */
    @Test
    void aConnectionRepeatingABadFirstFrameGetsOneWarnNotOnePerStream() {
        QuicChannel hostile = PeerConnections.connection("client");
        QuicChannel other = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(FirstMessageRouter.class)) {
            for (int i = 0; i < 20; i++) {
                codes.addAll(badFirstFrame(hostile, 4L * i));
            }
            codes.addAll(badFirstFrame(other, 4));

            List<ILoggingEvent> warnings = logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                    .toList();
            assertThat(warnings).as("WARN lines for 20 bad streams of one connection and 1 of another").hasSize(2);
        }
        assertThat(codes).as("every bad stream is ended with its ERROR").hasSize(21)
                .containsOnly(ErrorCode.UNEXPECTED_MESSAGE);
    }

    /**
     * A client (no worker certificate) that opened stream after stream with a REGISTER got a WARN line per stream
     * ({@code director ended stream after bad input}, error PEER_NOT_ALLOWED), as fast as it could open them:
     * RegistrationStreamHandler ended the stream with {@code StreamFailures.endStream}'s first-WARN form, not through
     * {@link BadStreams}/ConnectionProblems as every other bad input of a client stream. No worker is needed, and the
     * async console's queue drops other lines under the flood. Now one WARN per connection (repeats DEBUG, a counting
     * reminder), every stream still refused with PEER_NOT_ALLOWED. Found by the review helper.
     */
    @Test
    void aClientRepeatingARegisterGetsOneWarnNotOnePerStream() {
        QuicChannel hostile = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        WorkerRegistration register = new WorkerRegistration("w", "127.0.0.1:62001",
                "http://127.0.0.1:8081/actuator/health", 50, "i-1", List.of("stand-in"));
        try (CapturedLogs logs = CapturedLogs.of(RegistrationStreamHandler.class)) {
            for (int i = 0; i < 20; i++) {
                codes.addAll(firstFrame(hostile, 4L * i, register));
            }

            List<ILoggingEvent> warnings = logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                    .toList();
            assertThat(warnings).as("WARN lines for 20 REGISTER streams of one client connection").hasSize(1);
        }
        assertThat(codes).as("every such stream is refused").hasSize(20).containsOnly(ErrorCode.PEER_NOT_ALLOWED);
    }

    /** A client stream whose first frame is a TOKEN; returns the codes of the ERROR frames the director sent. */
    private List<ErrorCode> badFirstFrame(QuicChannel connection, long id) {
        return firstFrame(connection, id, new Token(1, "a"));
    }

    /** A client stream whose first frame is {@code first}; returns the codes of the ERROR frames the director sent. */
    private List<ErrorCode> firstFrame(QuicChannel connection, long id, Message first) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, id, UnpooledByteBufAllocator.DEFAULT);
        DirectorStreamPipeline.install(stream, FrameLimits.DEFAULTS, null, null, "d-test", meters);
        stream.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, first));
        List<ErrorCode> codes = stream.errorCodesSent();
        stream.finishAndReleaseAll();
        return codes;
    }
}
