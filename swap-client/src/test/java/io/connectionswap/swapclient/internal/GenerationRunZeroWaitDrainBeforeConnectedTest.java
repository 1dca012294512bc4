package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A director drains while it hands a zero-wait generation (waitAtMost(Duration.ZERO), the gateway's
 * CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s) to a worker: its session exists (a worker was picked) but the worker's
 * CONNECTED has not been relayed yet, so the drain's RETRY director_drain (RelaySession.directorDraining) is the first
 * frame the client reads on the stream. With one director address and the RETRY read before the GOAWAY, the resume
 * opens on the draining director and is refused SHUTTING_DOWN. 10f0ddb made such a refusal of a resume wait for the
 * next connection (README: "A director's drain is such a break too (its RETRY director_drain, or its SHUTTING_DOWN
 * refusal of a resume): the generation resumes on the next connection ... with a zero wait too"), but
 * GenerationRun.refused tells a resume by {@code worker != null}: this one had no CONNECTED, so the refusal is taken
 * for a fresh generation's and fails it at once (SHUTTING_DOWN). It is a resume after the director's drain all the
 * same and should wait for the next connection as one after CONNECTED does.
 */
class GenerationRunZeroWaitDrainBeforeConnectedTest extends ZeroWaitRunFixture {

    @Test
    void aResumeAfterADrainBeforeCONNECTEDRefusedShuttingDownWaitsForTheNextConnection() {
        startWithAZeroWait();
        FakeTransport.FakeLeg first = transport.last();

        loop.advance(10 * MS);
        first.events.retry(new Retry(Retry.DIRECTOR_DRAIN, 0, "worker-a", "director d-1 is shutting down"));
        FakeTransport.FakeLeg resume = transport.last();
        assertThat(resume).as("resumed at once on the connection still up (its GOAWAY not read yet)")
                .isNotSameAs(first);

        transport.connected = false; // the refusal says the director is going away: its connection is leaving
        resume.events.refused(new StreamError(ErrorCode.SHUTTING_DOWN, "director d-1 is shutting down"));
        loop.advance(2_000 * MS); // the draining director closes the idle connection; the client redials
        assertThat(subscriber.failure).as("a resume after a director's drain refused by that director is not given up")
                .isNull();

        transport.connect();
        assertThat(transport.legs).as("resumed on the next connection").hasSize(3);
    }
}
