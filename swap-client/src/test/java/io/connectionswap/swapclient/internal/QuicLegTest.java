package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.StreamPipelines;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure of a leg: a PAUSE message on its generation stream once the director is known to serve it on the
 * token stream, otherwise no reading (an older director ends the stream on any message after GENERATE).
 */
class QuicLegTest {

    private static final GenerationRequest ASKING = GenerationRequest.completion("gen-1", "prompt", 10)
            .withTokenStream(true);

    private final TokenStreams streams = new TokenStreams();

    private static Connected connected() {
        return new Connected("worker-a", "conn-1", 4, "gen-1", 0, "stand-in");
    }

    private static TokenStreams.Leg opened(TokenStreams.Leg leg) {
        assertThat(TokenStreams.written(leg.stream)).containsExactly(ASKING);
        return leg;
    }

    @Test
    void onTheTokenStreamAPauseIsAMessageOncePerChangeAndTheStreamKeepsReading() {
        TokenStreams.Leg leg = opened(streams.open(4, ASKING));
        streams.tagged(4, connected()).release();

        leg.quic.read(false);
        leg.quic.read(false);

        assertThat(TokenStreams.written(leg.stream)).containsExactly(new Pause(true));
        assertThat(leg.stream.config().isAutoRead()).isTrue();

        streams.tagged(4, new Token(1, " in flight")).release();
        leg.quic.read(true);
        leg.quic.read(true);

        assertThat(TokenStreams.written(leg.stream)).containsExactly(new Pause(false));
        assertThat(leg.stream.config().isAutoRead()).isTrue();
        assertThat(leg.events.events).containsExactly("assigned worker-a", "token 1 in flight");
    }

    @Test
    void beforeAnyTaggedFrameAPauseStopsReadingAndSendsNothing() {
        TokenStreams.Leg leg = opened(streams.open(4, ASKING));

        leg.quic.read(false);
        assertThat(leg.stream.config().isAutoRead()).isFalse();
        leg.quic.read(true);
        assertThat(leg.stream.config().isAutoRead()).isTrue();

        assertThat(TokenStreams.written(leg.stream)).isEmpty();
    }

    @Test
    void aLegAnsweredOnItsOwnStreamPausesByNotReadingAndProbes() {
        TokenStreams.Leg leg = opened(streams.open(4, ASKING));
        leg.onStream(connected());

        leg.quic.read(false);
        leg.stream.advanceTimeBy(QuicLeg.PAUSED_PROBE.toNanos(), TimeUnit.NANOSECONDS);
        leg.stream.runScheduledPendingTasks();

        assertThat(leg.stream.config().isAutoRead()).isFalse();
        assertThat(TokenStreams.written(leg.stream)).singleElement().isInstanceOf(Heartbeat.class);
    }

    @Test
    void aLegPausedBeforeItsFirstTaggedFrameSwitchesToPauseMessagesWhenItComes() {
        TokenStreams.Leg leg = opened(streams.open(4, ASKING));
        leg.quic.read(false);
        assertThat(leg.stream.config().isAutoRead()).isFalse();

        streams.tagged(4, connected()).release();

        assertThat(TokenStreams.written(leg.stream)).containsExactly(new Pause(true));
        assertThat(leg.stream.config().isAutoRead()).as("reading again: a reset must be seen").isTrue();
        leg.stream.advanceTimeBy(2 * QuicLeg.PAUSED_PROBE.toNanos(), TimeUnit.NANOSECONDS);
        leg.stream.runScheduledPendingTasks();
        assertThat(TokenStreams.written(leg.stream)).as("no probe on the token stream").isEmpty();

        leg.quic.read(true);
        assertThat(TokenStreams.written(leg.stream)).containsExactly(new Pause(false));
    }

    @Test
    void aLegThatStartsPausedStopsReadingBeforeItsRequestGoesOut() {
        TokenStreams.RecordingEvents events = new TokenStreams.RecordingEvents();
        TokenStreams.Leg leg = new TokenStreams.Leg(events);
        leg.quic.read(false); // GenerationRun: a new leg while the subscriber is behind
        StreamPipelines.messages(leg.stream, TokenStreams.LIMITS, leg.quic.handler());

        leg.quic.opened(leg.stream, 4, ASKING, streams.demux);

        assertThat(leg.stream.config().isAutoRead()).isFalse();
        assertThat(TokenStreams.written(leg.stream)).containsExactly(ASKING);
        streams.tagged(4, connected()).release();
        assertThat(TokenStreams.written(leg.stream)).containsExactly(new Pause(true));
    }

    @Test
    void noPauseAfterTheLegIsSettled() {
        TokenStreams.Leg leg = opened(streams.open(4, ASKING));
        streams.tagged(4, connected()).release();
        leg.quic.cancel();

        leg.quic.read(false);

        assertThat(TokenStreams.written(leg.stream)).noneMatch(Pause.class::isInstance);
    }
}
