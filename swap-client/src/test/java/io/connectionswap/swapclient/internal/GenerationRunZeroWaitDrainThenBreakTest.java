package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Retry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Several director addresses; director A drains while a zero-wait generation (waitAtMost(Duration.ZERO), the
 * gateway's CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s) streams there. The client read A's GOAWAY and its connection to B
 * is up when A's RETRY director_drain comes: the resume opens on B at once, as before 10f0ddb. Then, before B's first
 * token, that resume breaks: B's connection is lost (or B drops the stream). Before 10f0ddb a RETRY was no break, so
 * this was the first break since the last token, always resumed once (a lost connection waited for at least
 * RetryWaits.WAIT_FLOOR). Since 10f0ddb RetryWaits.directorLeaving counts the drain as that first break, even when the
 * resume opened at once on a live connection: the real break is the second, and the zero-wait generation fails at
 * once ("no connection to a director within PT0S" / "no stream could be served within PT0S") where it used to resume.
 * A drain whose resume opened without waiting for anything should not spend the generation's one guaranteed resume.
 */
class GenerationRunZeroWaitDrainThenBreakTest extends ZeroWaitRunFixture {

    /** A zero-wait generation streaming from worker-a at A, moved by A's drain to B (connected already). */
    private FakeTransport.FakeLeg drainedToAConnectionAlreadyUp() {
        FakeTransport.FakeLeg first = streaming();

        loop.advance(20 * MS);
        first.events.retry(new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-a", "director d-1 is shutting down"));
        FakeTransport.FakeLeg resume = transport.last();
        assertThat(resume).as("resumed at once on the connection to B").isNotSameAs(first);
        loop.advance(30 * MS); // B's worker is being assigned
        return resume;
    }

    @Test
    void theResumeOnTheNextDirectorLosingItsConnectionIsResumedOnceMore() {
        FakeTransport.FakeLeg resume = drainedToAConnectionAlreadyUp();
        transport.connected = false; // the heartbeat timeout found the connection to B lost
        resume.events.broken("connection lost");

        loop.advance(50 * MS); // the client redials
        assertThat(subscriber.failure).as("the first real break since the last token is resumed once").isNull();
        transport.connect();
        assertThat(transport.legs).as("resumed on the next connection").hasSize(3);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }

    @Test
    void theResumeOnTheNextDirectorBreakingIsResumedOnceMore() {
        FakeTransport.FakeLeg resume = drainedToAConnectionAlreadyUp();
        resume.events.broken("stream reset by the director");

        assertThat(subscriber.failure).as("the first real break since the last token is resumed once").isNull();
        loop.advance(100 * MS); // the backoff
        assertThat(transport.legs).as("resumed again").hasSize(3);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }
}
