package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * A generation's signals whatever its subscriber or listener does: a request of 0 gets its onError though events wait
 * unasked for, the client's close gets CANCELLED to a subscriber that asks for nothing, and a listener that throws
 * loses no token.
 */
class GenerationRunSubscriberRulesTest {

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final Recorder subscriber = new Recorder();

    private GenerationRun start(SwapClientListener listener, long demand) {
        GenerationRun run = new GenerationRun(loop, transport, listener, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 10), GenerationOptions.WAIT_FOREVER,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        if (demand > 0) {
            run.request(demand);
        }
        run.start();
        return run;
    }

    private static Connected connected() {
        return new Connected("worker-a", "conn-1", 5, "gen-1", 0, "stand-in");
    }

    /**
     * Reactive Streams 3.9: request(0) MUST signal onError(IllegalArgumentException), also with events queued that the
     * subscriber has not asked for: queued behind them, the error needed demand that such a subscriber never gives.
     */
    @Test
    void requestZeroWithEventsQueuedSignalsIllegalArgumentException() {
        GenerationRun run = start(SwapClientListener.NONE, 0);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected());
        leg.events.token(new Token(1, " t1"));

        run.request(0);

        assertThat(leg.cancelled).as("the generation was stopped").isTrue();
        assertThat(subscriber.failure).as("rule 3.9: onError(IllegalArgumentException)")
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * SwapClient.close() ends every generation with CANCELLED through closed(), at once: behind events the subscriber
     * has not asked for it could never come, since no request() is served once the client's own loop is gone.
     */
    @Test
    void closedWithEventsQueuedAndNoDemandStillSignalsCancelled() {
        GenerationRun run = start(SwapClientListener.NONE, 0);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected());
        leg.events.token(new Token(1, " t1"));

        run.closed();

        assertThat(subscriber.failure).as("close() ends every generation with CANCELLED")
                .isInstanceOfSatisfying(GenerationException.class,
                        failure -> assertThat(failure.code()).isEqualTo(ErrorCode.CANCELLED));
    }

    /**
     * A completed generation keeps its onComplete through the client's close only once its Completed is out (the
     * subscriber closes the client in onNext(Completed)); a Completed still waiting for demand is dropped with the
     * rest, and CANCELLED comes at once, as for any event not asked for.
     */
    @Test
    void closedWithTheCompletedEventNotYetAskedForStillSignalsCancelled() {
        GenerationRun run = start(SwapClientListener.NONE, 2); // Assigned and the token; not Completed
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected());
        leg.events.token(new Token(1, " t1"));
        leg.events.ended(new End("gen-1", 1, "length", null));

        run.closed();

        assertThat(subscriber.completed).as("Completed was not handed over: no onComplete").isFalse();
        assertThat(subscriber.failure).as("close() ends it with CANCELLED")
                .isInstanceOfSatisfying(GenerationException.class,
                        failure -> assertThat(failure.code()).isEqualTo(ErrorCode.CANCELLED));
    }

    /**
     * A listener that throws in tokenReceived (a metrics bug) after the sequence check accepted the token: the
     * exception broke the leg with the token counted as delivered but not handed on, and the resume asked for what
     * followed it. Now the throw is logged and the token goes on.
     */
    @Test
    void aThrowingListenerLosesNoToken() {
        assertAListenerThrowingOnceLosesNoToken(new IllegalStateException("metrics registry closed"));
    }

    /**
     * The same for a listener that throws an Error (an assertion in a test's listener, a linkage error in a metrics
     * library): GuardedListener caught RuntimeException only, so the Error broke the leg after the token was counted,
     * and reached the stream's read path.
     */
    @Test
    void aListenerThrowingAnErrorLosesNoToken() {
        assertAListenerThrowingOnceLosesNoToken(new NoClassDefFoundError("io/micrometer/core/instrument/Counter"));
    }

    /** A listener whose first tokenReceived throws {@code failure} (unchecked: a RuntimeException or an Error). */
    private void assertAListenerThrowingOnceLosesNoToken(Throwable failure) {
        boolean[] thrown = {false};
        SwapClientListener flaky = new SwapClientListener() {
            @Override
            public void tokenReceived() {
                if (!thrown[0]) {
                    thrown[0] = true;
                    if (failure instanceof Error error) {
                        throw error;
                    }
                    throw (RuntimeException) failure;
                }
            }
        };
        start(flaky, Long.MAX_VALUE);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected());

        for (int i = 1; i <= 3; i++) {
            Token token = new Token(i, " t" + i);
            assertThatCode(() -> leg.events.token(token)).as("token %s", i).doesNotThrowAnyException();
        }

        assertThat(thrown[0]).as("the listener threw").isTrue();
        assertThat(transport.legs).as("no leg broken").hasSize(1);
        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3");
    }
}
