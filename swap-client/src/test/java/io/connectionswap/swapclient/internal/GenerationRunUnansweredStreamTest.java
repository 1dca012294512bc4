package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * A stream the director accepted (and its GENERATE) but never answered, no CONNECTED, RETRY or ERROR (a stuck or
 * buggy director whose connection still echoes heartbeats), was waited on for ever: nothing bounded the wait for the
 * first frame, so a waitAtMost(1 s) generation neither failed nor ended. Now a stream left unanswered for the
 * generation's wait (at least 10 s) ends it with NO_HEALTHY_WORKER saying so, and the stream is ended.
 */
class GenerationRunUnansweredStreamTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final Recorder subscriber = new Recorder();

    private GenerationRun start(GenerationOptions options) {
        return start(options, Long.MAX_VALUE);
    }

    private GenerationRun start(GenerationOptions options, long demand) {
        GenerationRun run = new GenerationRun(loop, transport, SwapClientListener.NONE, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 200), options,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        run.request(demand);
        run.start();
        return run;
    }

    @Test
    void aStreamTheDirectorNeverAnswersEndsABoundedGenerationWithinItsWait() {
        start(GenerationOptions.waitAtMost(Duration.ofSeconds(20)));
        FakeTransport.FakeLeg leg = transport.last();

        loop.advance(19_999 * MS);
        assertThat(subscriber.failure).as("still within the wait").isNull();
        loop.advance(30_000 * MS);

        assertThat(subscriber.failure).as("a terminal error once the 20 s wait passed unanswered")
                .isInstanceOfSatisfying(GenerationException.class, failure -> {
                    assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
                    assertThat(failure.detail()).isEqualTo("the director answered the stream with nothing within PT20S");
                });
        assertThat(leg.cancelled).as("the unanswered stream is ended").isTrue();
        assertThat(loop.pending()).as("nothing left scheduled").isEmpty();
    }

    /**
     * A short wait (the gateway's 0 s: a 503 at once when no worker is healthy) failed every stream the director had
     * not answered by then, a healthy one within a round trip too (found by the review helper:
     * {@code GenerationRunZeroWaitTest}); the wait for the answer is now at least 10 s, longer than the connection's
     * heartbeat timeout, so a connection that died silently is found lost first and the generation resumes.
     */
    @Test
    void theWaitForTheAnswerIsAtLeastTenSeconds() {
        start(GenerationOptions.waitAtMost(Duration.ofSeconds(1)));

        loop.advance(9_999 * MS);
        assertThat(subscriber.failure).as("within the 10 s floor").isNull();
        loop.advance(1 * MS);

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class, failure -> assertThat(
                failure.detail()).isEqualTo("the director answered the stream with nothing within PT10S"));
    }

    @Test
    void aStreamAnsweredWithinTheWaitIsNotEnded() {
        start(GenerationOptions.waitAtMost(Duration.ofSeconds(1)));
        FakeTransport.FakeLeg leg = transport.last();
        loop.advance(900 * MS);
        leg.events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m"));

        loop.advance(30_000 * MS); // the first token is the director's to bound (its first-token timeout, then RETRY)

        assertThat(subscriber.failure).isNull();
        assertThat(leg.cancelled).isFalse();
    }

    /** A subscriber far behind stops the stream reading: its answer may wait unread, which is not the director's. */
    @Test
    void theTimeTheSubscriberHoldsReadingBackDoesNotCount() {
        GenerationRun run = start(GenerationOptions.waitAtMost(Duration.ofSeconds(20)), 1);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m"));
        for (int i = 1; i <= GenerationRun.HIGH_WATER; i++) {
            first.events.token(new Token(i, " t" + i));
        }
        first.events.retry(new Retry("health", GenerationRun.HIGH_WATER,
                "worker-a", "down"));
        FakeTransport.FakeLeg second = transport.last();
        assertThat(second.reads).as("the new stream starts paused").containsExactly(false);

        loop.advance(100_000 * MS);
        assertThat(subscriber.failure).as("held back by the subscriber, not unanswered").isNull();

        loop.advance(18_000 * MS);
        run.request(Long.MAX_VALUE); // reading again 118 s after the stream opened: the wait starts again
        loop.advance(19_999 * MS);
        assertThat(subscriber.failure).isNull();
        loop.advance(1 * MS);
        assertThat(subscriber.failure).as("unanswered once read again")
                .isInstanceOf(GenerationException.class);
    }

    @Test
    void aGenerationThatWaitsForeverWaitsForTheAnswerToo() {
        start(GenerationOptions.WAIT_FOREVER);
        loop.advance(600_000 * MS);
        assertThat(subscriber.failure).isNull();
        assertThat(transport.last().cancelled).isFalse();
    }
}
