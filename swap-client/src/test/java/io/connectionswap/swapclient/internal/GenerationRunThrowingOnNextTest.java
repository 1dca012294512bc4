package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClientListener;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Reactive Streams 2.13: a subscriber must return normally from onNext; one that does not is "considered cancelled".
 * The client does so for a RuntimeException (Delivery: "subscriber threw from onNext; cancelling"), but an Error (an
 * AssertionError in a test's subscriber) or a checked exception (a Kotlin subscriber's IOException from writing to a
 * client that left, which Kotlin does not wrap) passes through Delivery into the leg's read path: on a generation
 * stream LegHandler takes it for a "bad frame from director" and resumes the generation on a new stream, with the
 * same subscriber still getting onNext; on the client token stream (the default) it goes up that stream's pipeline,
 * which closes the token stream, and the director then closes the whole connection: every generation of it resumes.
 */
class GenerationRunThrowingOnNextTest {

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();

    /** Takes every event, and throws {@code thrown} from onNext at the first token. */
    private static final class ThrowingAtFirstToken implements Flow.Subscriber<GenerationEvent> {
        private final Throwable thrown;
        final List<GenerationEvent> events = new CopyOnWriteArrayList<>();
        final List<String> terminals = new CopyOnWriteArrayList<>();

        ThrowingAtFirstToken(Throwable thrown) {
            this.thrown = thrown;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(GenerationEvent item) {
            events.add(item);
            if (item instanceof GenerationEvent.Token) {
                throwUnchecked(thrown);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            terminals.add("onError " + throwable);
        }

        @Override
        public void onComplete() {
            terminals.add("onComplete");
        }

        @SuppressWarnings("unchecked")
        private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
            throw (T) t; // what Kotlin (or Lombok's @SneakyThrows) compiles to
        }
    }

    private FakeTransport.FakeLeg streaming(Flow.Subscriber<GenerationEvent> subscriber) {
        GenerationRun run = new GenerationRun(loop, transport, SwapClientListener.NONE, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 10), GenerationOptions.WAIT_FOREVER,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        run.start();
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(new Connected("worker-a", "conn-1", 5, "gen-1", 0, "stand-in"));
        return leg;
    }

    @Test
    void aCheckedExceptionFromOnNextCancelsTheGenerationAndStaysOutOfTheStreamsReadPath() {
        assertThrowFromOnNextCancels(new IOException("Broken pipe"));
    }

    @Test
    void anErrorFromOnNextCancelsTheGenerationAndStaysOutOfTheStreamsReadPath() {
        assertThrowFromOnNextCancels(new AssertionError("a test's assertion in onNext"));
    }

    private void assertThrowFromOnNextCancels(Throwable thrown) {
        ThrowingAtFirstToken subscriber = new ThrowingAtFirstToken(thrown);
        FakeTransport.FakeLeg leg = streaming(subscriber);

        assertThatCode(() -> leg.events.token(new Token(1, " t1")))
                .as("what onNext threw (%s) must not reach the leg's read path (Netty's pipeline of the generation "
                        + "stream or of the shared client token stream)", thrown.getClass().getSimpleName())
                .doesNotThrowAnyException();
        assertThat(leg.cancelled).as("rule 2.13: the subscription is considered cancelled, so the stream is "
                + "cancelled, as for a RuntimeException").isTrue();
        assertThat(transport.legs).as("no resume on a new stream").hasSize(1);

        leg.events.token(new Token(2, " t2")); // already on its way when the stream was cancelled
        assertThat(subscriber.events).as("nothing more for a subscriber taken as cancelled")
                .hasSize(2).last().isInstanceOf(GenerationEvent.Token.class);
        assertThat(subscriber.terminals).as("no terminal signal either (rule 2.13: it is cancelled)").isEmpty();
    }

    @Test
    void anErrorFromOnCompleteStaysOutOfTheStreamsReadPath() {
        Flow.Subscriber<GenerationEvent> subscriber = new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(GenerationEvent item) {
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
                throw new AssertionError("a test's assertion in onComplete");
            }
        };
        FakeTransport.FakeLeg leg = streaming(subscriber);
        leg.events.token(new Token(1, " t1"));

        assertThatCode(() -> leg.events.ended(new End("gen-1", 1, "stop", null)))
                .as("what onComplete threw must not reach the leg's read path").doesNotThrowAnyException();
        assertThat(transport.legs).as("no resume on a new stream").hasSize(1);
    }
}
