package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Retry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A zero-wait generation (waitAtMost(Duration.ZERO)) drained a second time before its next token. RetryWaits counts
 * the floor for the next connection from leavingSinceNanos (the FIRST drain since the last token) or from
 * brokenSinceNanos (the first break since the last token), never from the drain that just came. When the new
 * director took the resume (CONNECTED) but sent no token yet (a long prefill, a rolling restart reaching the next
 * director) and drains more than RetryWaits.WAIT_FLOOR later, the floor is long over: the resume waits for the next
 * connection zero and the generation fails NO_HEALTHY_WORKER at once, although a drain is no lack of workers and should
 * make the resume wait for the next connection at least the floor.
 */
class GenerationRunZeroWaitSecondDrainTest extends ZeroWaitRunFixture {

    private void assertResumedOnTheNextConnection(int legs) {
        loop.advance(50 * MS); // the client dials the next director
        assertThat(subscriber.failure).as("a drain waits for the next connection at least the floor").isNull();
        transport.connect();
        assertThat(transport.legs).as("resumed on the next connection").hasSize(legs);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }

    @Test
    void aSecondDrainBeforeTheNextTokenWaitsForTheNextConnection() {
        FakeTransport.FakeLeg first = streaming();
        loop.advance(20 * MS);
        transport.connected = false; // A's GOAWAY: the client leaves its connection
        first.events.retry(new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-a", "director d-1 is shutting down"));
        assertResumedOnTheNextConnection(2);

        FakeTransport.FakeLeg onB = transport.last();
        onB.events.assigned(new Connected("worker-b", "conn-2", 4, "gen-1", 1, "m"));
        loop.advance(30_000 * MS); // worker-b's long prefill; then the rolling restart reaches B
        transport.connected = false; // B's GOAWAY
        onB.events.retry(new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-b", "director d-2 is shutting down"));
        assertResumedOnTheNextConnection(3);
    }

    @Test
    void aDrainLongAfterABreakBeforeTheNextTokenWaitsForTheNextConnection() {
        FakeTransport.FakeLeg first = streaming();
        loop.advance(20 * MS);
        first.events.broken("stream reset by the director"); // the first break since the last token
        loop.advance(100 * MS); // the backoff
        assertThat(transport.legs).hasSize(2);
        FakeTransport.FakeLeg resume = transport.last();
        resume.events.assigned(new Connected("worker-b", "conn-1", 8, "gen-1", 1, "m"));
        loop.advance(30_000 * MS); // worker-b's long prefill; then the director drains
        transport.connected = false; // GOAWAY
        resume.events.retry(new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-b", "director d-1 is shutting down"));
        assertResumedOnTheNextConnection(3);
    }
}
