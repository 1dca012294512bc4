package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.event.Level;

/**
 * The fixture of the zero-wait and director-drain tests: one generation with a zero wait
 * ({@code waitAtMost(Duration.ZERO)}, the gateway's {@code CONNECTION_SWAP_GATEWAY_WORKER_WAIT=0s}) on a fake
 * transport and a manual loop, its backoff 100 ms doubling to 400 ms without jitter.
 */
abstract class ZeroWaitRunFixture {

    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    final ManualLoop loop = new ManualLoop();
    final FakeTransport transport = new FakeTransport();
    final Recorder subscriber = new Recorder();

    /** Starts the generation; its first leg is {@code transport.last()}. */
    void startWithAZeroWait() {
        GenerationRun run = new GenerationRun(loop, transport, SwapClientListener.NONE, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 200), GenerationOptions.waitAtMost(Duration.ZERO),
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        run.request(Long.MAX_VALUE);
        run.start();
    }

    /** Starts the generation and takes its first token from worker-a: its first leg. */
    FakeTransport.FakeLeg streaming() {
        startWithAZeroWait();
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m"));
        first.events.token(new Token(1, "a"));
        return first;
    }

    /** Director d-1's drain moving the generation from worker-a after token {@code lastSequence}. */
    static Retry drain(int lastSequence) {
        return new Retry(Retry.DIRECTOR_DRAIN, lastSequence, "worker-a", "director d-1 is shutting down");
    }
}
