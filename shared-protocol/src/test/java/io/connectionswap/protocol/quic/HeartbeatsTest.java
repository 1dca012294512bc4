package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.message.Heartbeat;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    /**
     * A late tick gave the peer a fresh echo timeout every time, so a sender whose loop ran late at every tick
     * (overloaded) never declared a silent peer lost; now the peer gets one fresh timeout for our lateness per echo it
     * owes, and a silence past it, by the clock, is lost however late the ticks run.
     */
    @Test
    void senderWhoseTicksAreAlwaysLateDeclaresASilentPeerLostByTheClock() {
        AtomicInteger timeouts = new AtomicInteger();
        EmbeddedChannel stream = new EmbeddedChannel();
        stream.freezeTime();
        stream.pipeline().addLast(Heartbeats.sender(Duration.ofMillis(100), Duration.ofSeconds(1),
                timeouts::incrementAndGet));

        for (int step = 0; step < 10; step++) {
            stream.advanceTimeBy(300, TimeUnit.MILLISECONDS); // every tick more than two intervals after the last
            stream.runScheduledPendingTasks();
        }

        assertThat(timeouts).as("silent for 3 s of a 1 s timeout").hasValue(1);
    }

    /** A healthy peer (it echoes) outlives a long pause of our own loop: its echo may be waiting unread. */
    @Test
    void senderKeepsAnEchoingPeerAcrossLongPausesOfItsOwnLoop() {
        AtomicInteger timeouts = new AtomicInteger();
        EmbeddedChannel stream = new EmbeddedChannel();
        stream.freezeTime();
        stream.pipeline().addLast(Heartbeats.sender(Duration.ofMillis(100), Duration.ofSeconds(1),
                timeouts::incrementAndGet));

        for (int pause = 0; pause < 3; pause++) {
            stream.advanceTimeBy(5, TimeUnit.SECONDS); // a pause of our loop, five timeouts long
            stream.runScheduledPendingTasks();
            stream.writeInbound(new Heartbeat(pause)); // the echo read once the loop runs again
        }

        assertThat(timeouts).hasValue(0);
    }

    /**
     * The heartbeats went at a fixed rate, so after a pause of the sender's loop the ones it missed went back to back
     * (here ten at once, each echoed), on every connection at the moment the loop was behind; the echo timeout was not
     * at stake (the first late heartbeat gives the peer a fresh one). Now the missed ones are not made up: one goes
     * as the loop runs again, and the rest keep their places in the interval (connections taking turns keep theirs).
     */
    @Test
    void senderSendsOneHeartbeatAfterAPauseOfItsLoopNotOneForEveryIntervalItMissed() {
        EmbeddedChannel stream = frozenSender(Duration.ofMillis(100), Duration.ofMillis(50));
        stream.runScheduledPendingTasks();
        assertThat(drain(stream)).as("the first, at once").isEqualTo(1);

        stream.advanceTimeBy(1000, TimeUnit.MILLISECONDS); // our loop held up: ten heartbeats were due
        stream.runScheduledPendingTasks();
        assertThat(drain(stream)).as("one heartbeat as the loop runs again").isEqualTo(1);

        assertThat(sentAtMillis(stream, 300)).as("then every interval, at their places (50 ms into each)")
                .containsExactly(50L, 150L, 250L);
    }

    /** A sender on a stream whose scheduled tasks run only as the test moves its clock (the echo timeout is far). */
    private static EmbeddedChannel frozenSender(Duration interval, Duration offset) {
        EmbeddedChannel stream = new EmbeddedChannel();
        stream.freezeTime();
        stream.pipeline().addLast(Heartbeats.sender(interval, offset, Duration.ofHours(1), () -> { }, nanos -> { }));
        return stream;
    }

    /** Reads what the sender wrote; returns how many heartbeats. */
    private static int drain(EmbeddedChannel stream) {
        int sent = 0;
        for (Object out = stream.readOutbound(); out != null; out = stream.readOutbound()) {
            assertThat(out).isInstanceOf(Heartbeat.class);
            sent++;
        }
        return sent;
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
