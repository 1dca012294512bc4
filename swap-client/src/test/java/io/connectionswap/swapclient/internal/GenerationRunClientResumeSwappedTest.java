package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * A generation moved by the director (its RETRY) was marked with a Swapped event, but one the client moved itself (it
 * lost the director and resumed on a new connection, or repaired a sequence gap on another worker) showed only a new
 * Assigned: an application (the gateway's x_connection_swap.swap, its trace span) did not see every move in one event
 * kind, nor the pause such a move caused. The listener's swapped hook (connection_swap_client_swaps_total, the
 * director's swaps as the client sees them) was and is not called for these.
 */
class GenerationRunClientResumeSwappedTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final CountingListener metrics = new CountingListener();
    private final Recorder subscriber = new Recorder();

    /** Starts the generation, waiting for ever; its first leg is {@code transport.last()}. */
    private void start() {
        GenerationRun run = new GenerationRun(loop, transport, metrics, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 4), GenerationOptions.WAIT_FOREVER,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        run.request(Long.MAX_VALUE);
        run.start();
    }

    private FakeTransport.FakeLeg startAndServeTwoTokens() {
        start();
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m"));
        first.events.token(new Token(1, " t1"));
        first.events.token(new Token(2, " t2"));
        return first;
    }

    /** Serves the rest of the generation on {@code leg} by {@code worker}, 300 ms after the move began. */
    private void finishOn(FakeTransport.FakeLeg leg, String worker, int resumeAfter) {
        leg.events.assigned(new Connected(worker, "conn-2", 8, "gen-1", resumeAfter, "m"));
        for (int sequence = resumeAfter + 1; sequence <= 4; sequence++) {
            leg.events.token(new Token(sequence, " t" + sequence));
        }
        leg.events.ended(new End("gen-1", 4, "length", null));
    }

    private List<String> kinds() {
        return subscriber.events.stream().map(event -> event.getClass().getSimpleName()).toList();
    }

    private GenerationEvent.Swapped theSwap() {
        return subscriber.events.stream().filter(GenerationEvent.Swapped.class::isInstance)
                .map(GenerationEvent.Swapped.class::cast).findFirst().orElseThrow();
    }

    @Test
    void aResumeOnANewConnectionIsASwapFromTheLastWorker() {
        FakeTransport.FakeLeg first = startAndServeTwoTokens();
        loop.advance(100 * MS);
        transport.connected = false;
        first.events.broken("connection to the director lost");
        loop.advance(200 * MS);
        transport.connect();

        finishOn(transport.last(), "worker-b", 2);

        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3 t4");
        assertThat(kinds()).containsExactly("Assigned", "Token", "Token", "Assigned", "Swapped", "Token", "Token",
                "Completed");
        assertThat(theSwap()).isEqualTo(new GenerationEvent.Swapped(GenerationEvent.Swapped.DIRECTOR_LOST,
                "worker-a", "worker-b", Duration.ofMillis(300), 2));
        assertThat(metrics.swaps).as("not a swap the director made").isEmpty();
    }

    @Test
    void aRepairedSequenceGapIsASwapFromTheWorkerThatSkipped() {
        FakeTransport.FakeLeg first = startAndServeTwoTokens();
        loop.advance(200 * MS);
        first.events.token(new Token(4, " t4")); // token 3 never came
        loop.advance(100 * MS); // the backoff

        finishOn(transport.last(), "worker-b", 2);

        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3 t4");
        assertThat(theSwap()).isEqualTo(new GenerationEvent.Swapped(GenerationEvent.Swapped.SEQUENCE_GAP,
                "worker-a", "worker-b", Duration.ofMillis(300), 2));
        assertThat(metrics.swaps).isEmpty();
        assertThat(metrics.sequenceErrors).as("counted where it always was").hasSize(1);
    }

    @Test
    void aStreamThatBrokeOnALiveConnectionIsASwapToo() {
        FakeTransport.FakeLeg first = startAndServeTwoTokens();
        loop.advance(200 * MS);
        first.events.broken("stream reset by director (code 1)");
        loop.advance(100 * MS); // the backoff

        finishOn(transport.last(), "worker-a", 2);

        assertThat(theSwap()).isEqualTo(new GenerationEvent.Swapped(GenerationEvent.Swapped.STREAM_BROKEN,
                "worker-a", "worker-a", Duration.ofMillis(300), 2));
    }

    /** A stream that broke before any worker took the generation left no worker: nothing moved, no Swapped. */
    @Test
    void aStreamThatBrokeBeforeAnyWorkerIsNoSwap() {
        start();
        transport.last().events.broken("cannot open stream: STREAM_LIMIT");
        loop.advance(100 * MS);

        finishOn(transport.last(), "worker-a", 0);

        assertThat(kinds()).containsExactly("Assigned", "Token", "Token", "Token", "Token", "Completed");
    }
}
