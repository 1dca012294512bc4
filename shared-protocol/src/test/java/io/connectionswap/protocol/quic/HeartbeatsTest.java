package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.message.Heartbeat;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HeartbeatsTest {

    /** Index of the user-defined writability flag the tests turn off to stand for a full stream. */
    private static final int FULL = 1;

    @Test
    void responderEchoesAtOnceWhileTheStreamCanTakeIt() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());

        stream.writeInbound(new Heartbeat(7));

        assertThat((Object) stream.readOutbound()).isEqualTo(new Heartbeat(7));
        assertThat((Object) stream.readOutbound()).isNull();
    }

    @Test
    void responderOwesTheLatestEchoWhileTheStreamIsFullAndSendsItWhenTheStreamDrains() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());
        stream.unsafe().outboundBuffer().setUserDefinedWritability(FULL, false);

        stream.writeInbound(new Heartbeat(1));
        stream.writeInbound(new Heartbeat(2));
        assertThat((Object) stream.readOutbound()).as("nothing queued while the stream is full").isNull();

        stream.unsafe().outboundBuffer().setUserDefinedWritability(FULL, true);
        stream.runPendingTasks();

        assertThat((Object) stream.readOutbound()).isEqualTo(new Heartbeat(2));
        assertThat((Object) stream.readOutbound()).as("one echo for the heartbeats of a full stretch").isNull();
    }

    @Test
    void responderSendsNothingToAPeerThatNeverReadsAgain() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());
        stream.unsafe().outboundBuffer().setUserDefinedWritability(FULL, false);

        for (int i = 0; i < 100; i++) {
            stream.writeInbound(new Heartbeat(i));
        }
        stream.runPendingTasks();

        assertThat((Object) stream.readOutbound()).isNull();
        assertThat(stream.unsafe().outboundBuffer().totalPendingWriteBytes()).isZero();
    }

    @Test
    void otherMessagesPassThrough() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());

        stream.writeInbound("not a heartbeat");

        assertThat((Object) stream.readInbound()).isEqualTo("not a heartbeat");
        assertThat((Object) stream.readOutbound()).isNull();
    }

    @Test
    void senderSendsTheFirstHeartbeatAtOnceThenOneEveryInterval() {
        EmbeddedChannel stream = frozenSender(Duration.ofMillis(400), Duration.ofMillis(400));

        assertThat(sentAtMillis(stream, 1300)).containsExactly(0L, 400L, 800L, 1200L);
    }

    @Test
    void senderWithAnOffsetSendsTheSecondHeartbeatAtTheOffsetThenEveryInterval() {
        EmbeddedChannel stream = frozenSender(Duration.ofMillis(400), Duration.ofMillis(100));

        assertThat(sentAtMillis(stream, 1300)).containsExactly(0L, 100L, 500L, 900L, 1300L);
    }

    @Test
    void senderRefusesAnOffsetOutsideTheInterval() {
        Runnable none = () -> { };
        assertThatThrownBy(() -> Heartbeats.sender(Duration.ofMillis(100), Duration.ZERO, Duration.ofSeconds(1), none,
                nanos -> { })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
        assertThatThrownBy(() -> Heartbeats.sender(Duration.ofMillis(100), Duration.ofMillis(101),
                Duration.ofSeconds(1), none, nanos -> { })).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset");
    }

    /** A sender on a stream whose scheduled tasks run only as the test moves its clock (the echo timeout is far). */
    private static EmbeddedChannel frozenSender(Duration interval, Duration offset) {
        EmbeddedChannel stream = new EmbeddedChannel();
        stream.freezeTime();
        stream.pipeline().addLast(Heartbeats.sender(interval, offset, Duration.ofHours(1), () -> { }, nanos -> { }));
        return stream;
    }

    /** Moves the stream's clock to {@code untilMillis} in 50 ms steps; returns when each heartbeat went out. */
    private static List<Long> sentAtMillis(EmbeddedChannel stream, long untilMillis) {
        List<Long> sent = new ArrayList<>();
        for (long now = 0; now <= untilMillis; now += 50) {
            if (now > 0) {
                stream.advanceTimeBy(50, TimeUnit.MILLISECONDS);
            }
            stream.runScheduledPendingTasks();
            for (Object out = stream.readOutbound(); out != null; out = stream.readOutbound()) {
                assertThat(out).isInstanceOf(Heartbeat.class);
                sent.add(now);
            }
        }
        return sent;
    }
}
