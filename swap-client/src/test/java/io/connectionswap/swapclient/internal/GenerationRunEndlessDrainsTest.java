package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.swapclient.GenerationException;
import org.junit.jupiter.api.Test;

/**
 * A director (hostile, or buggy: a drain that never ends, each new connection reaching it again) answers every
 * resume with RETRY director_drain (its GOAWAY leaving the connection each time) before any worker takes it and
 * before any token. Since 535641c RetryWaits.directorDrained (now directorLeaving) restarts the floor at every such RETRY, so each resume
 * waits afresh up to 10 s for the next connection: with the client redialling every few seconds, a zero-wait (or
 * any bounded-wait) generation that makes no progress at all lives for ever. Before 535641c the floor counted from
 * the first drain since the last token, and the generation failed NO_HEALTHY_WORKER about 10 s after it. Right
 * behaviour: drains that follow one another with no worker taking the generation and no token are bounded (by the
 * floor, or the wait when longer, or a number of moves): the generation fails NO_HEALTHY_WORKER well within two
 * minutes.
 */
class GenerationRunEndlessDrainsTest extends ZeroWaitRunFixture {

    @Test
    void resumesDrainedOneAfterAnotherWithNoProgressEndTheGeneration() {
        FakeTransport.FakeLeg first = streaming();

        for (int drain = 0; drain < 30 && subscriber.failure == null; drain++) {
            loop.advance(20 * MS);
            transport.connected = false; // the director's GOAWAY: the client leaves its connection
            transport.last().events.retry(new Retry(Retry.DIRECTOR_DRAIN, 1, "worker-a",
                    "director d-1 is shutting down"));
            if (subscriber.failure != null) {
                break;
            }
            loop.advance(4_000 * MS); // the client redials (a heartbeat timeout, its backoff)
            if (subscriber.failure != null) {
                break;
            }
            transport.connect(); // the same draining director again: the resume opens there and is drained at once
        }

        // 30 drains, about two minutes without a worker or a token
        assertThat(subscriber.failure).as("a generation drained again and again with no progress ends").isNotNull();
        assertThat(((GenerationException) subscriber.failure).code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
    }
}
