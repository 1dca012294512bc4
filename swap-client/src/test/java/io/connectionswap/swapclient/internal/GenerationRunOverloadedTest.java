package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A generation the director refuses with OVERLOADED (one of its limits reached, e.g. the bytes it holds of incomplete
 * requests): its workers may all be healthy, so the wait is logged as the director's limit, with the director's words
 * naming it, not as "no healthy worker", and it is not counted as a wait for a worker. The wait itself is the one for
 * a worker: the same backoff, one line when it begins and DEBUG for each further try, the same final failure.
 */
class GenerationRunOverloadedTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    /** What the director says with it ({@code PendingRequestBytes}). */
    private static final String LIMIT = "director holds 16777000 bytes of incomplete frames; 300 more are over its "
            + "limit of 16777216 (CONNECTION_SWAP_MAX_PENDING_REQUEST_BYTES); retry later or at another director";

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final CountingListener metrics = new CountingListener();
    private final Recorder subscriber = new Recorder();
    @AutoClose
    private final CapturedLogs generationLog = CapturedLogs.of("io.connectionswap.swapclient.SwapClient");

    @Test
    void anOverloadedDirectorIsLoggedAsItsLimitOnceAWaitWithTheBackoffOfAWaitForAWorker() {
        start(GenerationOptions.waitAtMost(Duration.ofMillis(1000)));

        refuseOverloaded();
        assertThat(loop.pending()).singleElement().extracting(ManualLoop.Scheduled::delayNanos).isEqualTo(100 * MS);
        loop.advance(100 * MS);
        refuseOverloaded();
        assertThat(loop.pending()).singleElement().extracting(ManualLoop.Scheduled::delayNanos).isEqualTo(200 * MS);

        assertThat(waitLines()).extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.DEBUG);
        assertThat(waitLines()).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "generation.id=gen-1 last.seq=0 error=OVERLOADED problem=\"" + LIMIT + "\" retry.in.max=PT0.1S "
                        + "director overloaded; waiting",
                "generation.id=gen-1 last.seq=0 error=OVERLOADED problem=\"" + LIMIT + "\" retry.in.max=PT0.2S "
                        + "director overloaded; waiting");
        assertThat(generationLog.events()).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(line -> line.contains("no healthy worker"));
        assertThat(metrics.noWorker).as("waits for a healthy worker counted").isZero();
    }

    @Test
    void anOverloadedDirectorStillFailsTheGenerationAfterTheBoundedWait() {
        start(GenerationOptions.waitAtMost(Duration.ofMillis(1000)));

        refuseOverloaded();
        loop.advance(100 * MS);
        refuseOverloaded();
        loop.advance(200 * MS);
        refuseOverloaded();
        loop.advance(400 * MS);
        refuseOverloaded();
        assertThat(loop.pending()).singleElement().extracting(ManualLoop.Scheduled::delayNanos).isEqualTo(300 * MS);
        loop.advance(300 * MS);
        refuseOverloaded();

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class, failure -> {
            assertThat(failure.code()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(failure.detail()).isEqualTo(LIMIT + " (waited PT1S)");
        });
        assertThat(transport.legs).hasSize(5);
        assertThat(loop.pending()).isEmpty();
    }

    @Test
    void aRefusalWithoutAMessageEndsTheWaitNamingItsCodeNotNull() {
        start(GenerationOptions.waitAtMost(Duration.ofMillis(100)));

        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, null));
        loop.advance(100 * MS);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, null));

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class, failure -> {
            assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
            assertThat(failure.detail()).isEqualTo("NO_HEALTHY_WORKER (waited PT0.1S)");
        });
    }

    private void start(GenerationOptions options) {
        GenerationRun run = new GenerationRun(loop, transport, metrics, subscriber,
                GenerationRequest.completion("gen-1", "prompt-1", 3), options,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0),
                org.slf4j.event.Level.DEBUG);
        subscriber.onSubscribe(run);
        run.request(Long.MAX_VALUE);
        run.start();
    }

    private void refuseOverloaded() {
        transport.last().events.refused(new StreamError(ErrorCode.OVERLOADED, LIMIT));
    }

    /** The lines of the wait: those with the refusal's error code, not the final {@code generation failed}. */
    private List<ILoggingEvent> waitLines() {
        return generationLog.events().stream()
                .filter(event -> event.getFormattedMessage().contains("error=OVERLOADED"))
                .filter(event -> !event.getFormattedMessage().endsWith("generation failed")).toList();
    }
}
