package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * GenerationOptions takes any wait that is not negative, so an application that says "wait for ever" the usual Java
 * way, {@code waitAtMost(ChronoUnit.FOREVER.getDuration())} (or the gateway's CONNECTION_SWAP_GATEWAY_WORKER_WAIT set
 * to a few thousand years), gets a generation whose waits cannot be counted: RetryWaits turns the wait into
 * nanoseconds (remainingWaitNanos, AnswerWait.start), which throws ArithmeticException (long overflow) once it is
 * longer than about 292 years. On the client's loop the exception leaves the task (logged, dropped): the generation
 * is left with no retry and no timer at its first refusal or lost connection, and its subscriber never hears of it;
 * thrown from a wish for the connection (DirectorLink.connected runs the waiters in a loop), it also keeps every
 * other generation waiting for that connection from ever opening its resume. Right: such a wait is as long as it
 * takes (WAIT_FOREVER), never a silent hang.
 */
class GenerationRunEndlessWaitOptionTest {

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final Recorder subscriber = new Recorder();

    @Test
    void aGenerationThatMayWaitForeverWaitsForTheConnectionAndResumes() {
        GenerationRun run = new GenerationRun(loop, transport, SwapClientListener.NONE, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 200),
                GenerationOptions.waitAtMost(ChronoUnit.FOREVER.getDuration()),
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), Level.DEBUG);
        subscriber.onSubscribe(run);
        run.request(Long.MAX_VALUE);
        transport.connected = false; // the client is still dialling its director

        assertThatCode(run::start)
                .as("a generation that may wait for ever waits for the connection (an exception here leaves the "
                        + "client's loop task: no retry, no timer, no error)")
                .doesNotThrowAnyException();
        transport.connect();
        assertThat(transport.legs).as("the first leg opens on the connection").hasSize(1);

        transport.last().events.assigned(new Connected("worker-a", "conn-1", 4, "gen-1", 0, "m"));
        transport.last().events.token(new Token(1, "a"));
        transport.connected = false; // the connection is lost
        assertThatCode(() -> transport.last().events.broken("connection to the director lost"))
                .as("a lost connection is waited out").doesNotThrowAnyException();
        loop.advance(TimeUnit.SECONDS.toNanos(60));
        transport.connect();
        assertThat(subscriber.failure).isNull();
        assertThat(transport.legs).as("resumed on the next connection").hasSize(2);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
    }
}
