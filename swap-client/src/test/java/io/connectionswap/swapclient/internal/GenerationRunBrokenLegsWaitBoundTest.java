package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * README: "No generation waits unseen for ever: ... retries with backoff for at most GenerationOptions.waitAtMost(...)
 * ... then fails". A generation whose every new stream breaks at once while the connection stays up (the stream cannot
 * be opened: QUIC's STREAM_LIMIT_ERROR once the director's stream credit is used up; or the director resets or ends it
 * without a final frame) retried after a backoff for ever: broken() never started the bounded wait, so the subscriber
 * of a waitAtMost(1 s) generation waited without end and without an error.
 */
class GenerationRunBrokenLegsWaitBoundTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final Recorder subscriber = new Recorder();
    private int legsBroken;

    @Test
    void legsThatBreakOneAfterAnotherEndABoundedGenerationWithinItsWait() {
        // 30 s of a connection that is up but whose every stream breaks before the director answers
        breakEveryLegFor30Seconds(leg ->
                leg.events.broken("cannot open stream: io.netty.handler.codec.quic.QuicException: STREAM_LIMIT"));

        assertThat(legsBroken).as("streams tried").isGreaterThan(1);
        assertThat(subscriber.failure).as("a terminal error within the 1 s wait (30 s passed, %s streams tried)",
                legsBroken).isInstanceOf(GenerationException.class);
    }

    /**
     * The same, when each stream is answered with CONNECTED before it breaks (the director ends it without a final
     * frame and without RETRY, no token delivered): no worker ever serves the generation, and the wait is still
     * bounded. assigned() set the wait's clock back at each CONNECTED, so it never ran out.
     */
    @Test
    void legsThatBreakRightAfterConnectedEndABoundedGenerationWithinItsWait() {
        breakEveryLegFor30Seconds(leg -> {
            leg.events.assigned(new Connected("worker-a", "conn-1", 4L * legsBroken, "gen-1", 0, "m"));
            leg.events.broken("stream ended without a final frame");
        });

        assertThat(legsBroken).as("streams tried").isGreaterThan(1);
        assertThat(subscriber.failure).as("a terminal error within the 1 s wait (30 s passed, %s streams tried)",
                legsBroken).isInstanceOf(GenerationException.class);
    }

    /** Runs a generation that waits at most 1 s, each of its legs broken by {@code breakLeg}, for 30 s or its end. */
    private void breakEveryLegFor30Seconds(Consumer<FakeTransport.FakeLeg> breakLeg) {
        GenerationRun run = new GenerationRun(loop, transport, SwapClientListener.NONE, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 10),
                GenerationOptions.waitAtMost(Duration.ofSeconds(1)),
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        run.request(Long.MAX_VALUE);
        run.start();
        for (int elapsed = 0; elapsed < 30_000 && subscriber.failure == null; elapsed += 100) {
            FakeTransport.FakeLeg leg = transport.last();
            if (!leg.cancelled && transport.legs.size() == legsBroken + 1) {
                legsBroken++;
                breakLeg.accept(leg);
            }
            loop.advance(100 * MS);
        }
    }
}
