package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Retry;
import org.junit.jupiter.api.Test;

/**
 * A director drains while one of its workers drains too (a rollout that restarts both at once): the worker's RETRY
 * {@code drain} for a zero-wait generation (waitAtMost(Duration.ZERO), the gateway's
 * CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s) went out just before the director's GOAWAY, and the client reads the
 * GOAWAY first (the control stream and the client token stream are two streams: no order between them). The client
 * has left the connection, so the resume waits for the next one; but only the RETRY {@code director_drain} gives it
 * the floor, so it waits the remaining wait, zero, and the generation fails NO_HEALTHY_WORKER at once ("no connection
 * to a director within PT0S") with its text half delivered. README, Director shutdown: after GOAWAY "the client
 * library holds new streams and resumes ... until its next connection is up"; a director leaving is no lack of
 * workers. Right: such a resume waits for the next connection as a drain's does.
 */
class GenerationRunZeroWaitRetryAfterGoAwayTest extends ZeroWaitRunFixture {

    @Test
    void aWorkersRetryReadAfterTheDirectorsGoAwayResumesOnTheNextConnection() {
        FakeTransport.FakeLeg first = streaming();
        loop.advance(20 * MS);
        transport.connected = false; // the director's GOAWAY, read first: the client leaves its connection
        first.events.retry(new Retry(Retry.WORKER_DRAIN, 1, "worker-a", "worker-a is draining"));

        loop.advance(50 * MS); // the client dials the next director
        assertThat(subscriber.failure)
                .as("a resume asked for while the director goes away waits for the next connection")
                .isNull();
        transport.connect();
        assertThat(transport.legs).as("resumed on the next connection").hasSize(2);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
        assertThat(transport.last().request.avoidWorker()).isEqualTo("worker-a");
    }
}
