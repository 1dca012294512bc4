package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.Token;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * waitAtMost(Duration.ZERO) (the gateway's CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s: "503 at once when no worker") means
 * "do not wait for a worker"; it must not mean "the director must answer within 0 ns". The answer wait (a12debc)
 * reused noWorkerWait, so with a zero wait every stream failed NO_HEALTHY_WORKER before any director could answer it;
 * it is at least 10 s now. Found by the review helper.
 */
class GenerationRunZeroWaitTest extends ZeroWaitRunFixture {

    @Test
    void aZeroWaitGenerationIsServedWhenTheDirectorAnswersAfterARoundTrip() {
        startWithAZeroWait();
        FakeTransport.FakeLeg leg = transport.last();

        loop.advance(2 * MS); // one round trip to the director
        leg.events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m"));
        leg.events.token(new Token(1, "hi"));
        leg.events.ended(new End("gen-1", 1, "stop", null));

        assertThat(subscriber.failure).as("a healthy director answered within a round trip").isNull();
        assertThat(subscriber.completed).isTrue();
    }

    /**
     * A sequence gap was repaired at once whatever the wait; then (2d37e9d) it went through the broken-stream bound
     * (retryWithinWait), which with a zero wait had run out at the first gap: one gap failed the generation
     * NO_HEALTHY_WORKER ("no stream could be served within PT0S") although the director and worker were healthy. The
     * first break since the last token is now always resumed once.
     */
    @Test
    void aZeroWaitGenerationRepairsASequenceGap() {
        startWithAZeroWait();
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m")); // answered at once
        first.events.token(new Token(1, "a"));
        first.events.token(new Token(3, "c")); // a gap

        loop.advance(1_000 * MS);

        assertThat(subscriber.failure).as("a gap is repaired, not the end of the generation").isNull();
        assertThat(transport.legs).as("resumed after the last good token").hasSize(2);
    }
}
