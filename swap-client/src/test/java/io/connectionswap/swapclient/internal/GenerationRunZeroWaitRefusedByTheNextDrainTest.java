package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of the directors reaches a zero-wait generation (waitAtMost(Duration.ZERO)) twice before its next
 * token: director A drains it to B, where worker-b takes it (CONNECTED) and then has no first token for longer than
 * RetryWaits.WAIT_FLOOR (a long prefill; a real model has 30 s). B's first-token timeout moves it (RETRY stall) just as
 * B begins its own drain, so B refuses the resume with SHUTTING_DOWN (B's GOAWAY not read yet) and the client leaves
 * B. Had B's drain caught the generation on a stream, its RETRY director_drain would count the floor from B's drain
 * (1103f7f: a worker took the generation since the previous drain; GenerationRunZeroWaitSecondDrainTest). Its
 * SHUTTING_DOWN refusal instead goes through RetryWaits.directorLeaving, which keeps A's drain as the start: that floor
 * is long over, and the generation fails NO_HEALTHY_WORKER at once. README: a director's drain "(its RETRY
 * director_drain, or its SHUTTING_DOWN refusal of a resume) is waited out the same way, from each drain".
 */
class GenerationRunZeroWaitRefusedByTheNextDrainTest extends ZeroWaitRunFixture {

    @Test
    void aResumeRefusedByTheNextDirectorsDrainWaitsForTheNextConnection() {
        FakeTransport.FakeLeg first = streaming();
        loop.advance(20 * MS);
        transport.connected = false; // A's GOAWAY
        first.events.retry(drain(1));
        loop.advance(50 * MS);
        transport.connect(); // B
        FakeTransport.FakeLeg onB = transport.last();
        onB.events.assigned(new Connected("worker-b", "conn-2", 4, "gen-1", 1, "m"));

        loop.advance(30_000 * MS); // worker-b's long prefill: B's first-token timeout moves the generation
        onB.events.retry(new Retry("stall", 1, "worker-b", "no first token within 30 s"));
        FakeTransport.FakeLeg refused = transport.last();
        assertThat(refused).as("resumed at once on B").isNotSameAs(onB);
        transport.connected = false; // B drains: the refusal leaves its connection
        refused.events.refused(new StreamError(ErrorCode.SHUTTING_DOWN, "director d-2 is shutting down"));

        loop.advance(50 * MS); // the client dials the next director
        assertThat(subscriber.failure)
                .as("a resume refused by the next director's drain waits for the next connection, from that drain")
                .isNull();
        transport.connect();
        assertThat(transport.legs).as("resumed on the next connection").hasSize(4);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }
}
