package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.Recorder;
import io.connectionswap.swapclient.SequenceErrorKind;
import io.connectionswap.swapclient.SwapClientListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.testsupport.log.CapturedLogs;

/** The generation logic against a fake transport and a manual clock: no network, no sleeps. */
class GenerationRunTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ManualLoop loop = new ManualLoop();
    private final FakeTransport transport = new FakeTransport();
    private final CountingListener metrics = new CountingListener();
    private final Recorder subscriber = new Recorder();

    private GenerationRun start(GenerationRequest request, GenerationOptions options, long demand) {
        return start(request, options, demand, Level.DEBUG);
    }

    private GenerationRun start(GenerationRequest request, GenerationOptions options, long demand, Level tokenLogLevel) {
        GenerationRun run = new GenerationRun(loop, transport, metrics, subscriber, request, options,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0), tokenLogLevel);
        subscriber.onSubscribe(run);
        if (demand > 0) {
            run.request(demand);
        }
        run.start();
        return run;
    }

    private static GenerationRequest request(int maxTokens) {
        return GenerationRequest.completion("gen-1", "prompt-1", maxTokens);
    }

    private static Connected connected(String worker, int resumeAfter) {
        return new Connected(worker, "conn-1", 5, "gen-1", resumeAfter, "stand-in");
    }

    private static void tokens(FakeTransport.FakeLeg leg, int from, int to) {
        for (int i = from; i <= to; i++) {
            leg.events.token(new Token(i, " t" + i));
        }
    }

    @Test
    void eachTokenIsLoggedAtTheLevelTheClientWasBuiltWith() {
        try (CapturedLogs tokenLines = CapturedLogs.of("io.connectionswap.client.tokens")) {
            ch.qos.logback.classic.Level before = tokenLines.logger().getLevel();
            tokenLines.logger().setLevel(ch.qos.logback.classic.Level.INFO); // an application's usual level
            try {
                start(request(2), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE); // the library's default, DEBUG
                FakeTransport.FakeLeg quiet = transport.last();
                quiet.events.assigned(connected("worker-a", 0));
                tokens(quiet, 1, 2);
                assertThat(tokenLines.events()).as("no line per token at INFO by default").isEmpty();

                start(request(2), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE, Level.INFO); // as client-service
                FakeTransport.FakeLeg logged = transport.last();
                logged.events.assigned(connected("worker-b", 0));
                tokens(logged, 1, 2);
                assertThat(tokenLines.events()).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                        "connection.id=conn-1 worker=worker-b generation.id=gen-1 sequence=1 received token",
                        "connection.id=conn-1 worker=worker-b generation.id=gen-1 sequence=2 received token");
                assertThat(tokenLines.events()).extracting(ILoggingEvent::getLevel)
                        .containsOnly(ch.qos.logback.classic.Level.INFO);
            } finally {
                tokenLines.logger().setLevel(before);
            }
        }
    }

    @Test
    void deliversTokensInOrderThenCompletes() {
        start(request(3), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg leg = transport.last();
        assertThat(leg.request.resumeAfter()).isZero();

        leg.events.assigned(connected("worker-a", 0));
        tokens(leg, 1, 3);
        leg.events.ended(new End("gen-1", 3, "length", new Usage(1, 3)));

        assertThat(subscriber.events.get(0)).isEqualTo(new GenerationEvent.Assigned("worker-a", "conn-1", 5, "stand-in", 0));
        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3");
        assertThat(subscriber.events.get(subscriber.events.size() - 1))
                .isEqualTo(new GenerationEvent.Completed("length", new Usage(1, 3), 3, 0));
        assertThat(subscriber.completed).isTrue();
        assertThat(metrics.tokens).isEqualTo(3);
        assertThat(metrics.completed).isEqualTo(1);
    }

    @Test
    void retryResumesOnANewLegWithTheDeliveredTextAndMarksTheSwap() {
        start(request(5), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 2);
        loop.advance(300 * MS);

        first.events.retry(new Retry("health", 2, "worker-a", "health poll http 503 DOWN"));

        FakeTransport.FakeLeg second = transport.last();
        assertThat(transport.legs).hasSize(2);
        assertThat(second.request.resumeAfter()).isEqualTo(2);
        assertThat(second.request.deliveredText()).isEqualTo(" t1 t2");
        assertThat(second.request.avoidWorker()).isEqualTo("worker-a");
        assertThat(second.request.migrations()).isEqualTo(1);
        assertThat(second.request.generationId()).isEqualTo("gen-1");

        second.events.assigned(connected("worker-b", 2));
        loop.advance(200 * MS);
        tokens(second, 3, 5);
        second.events.ended(new End("gen-1", 5, "length", null));

        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3 t4 t5");
        List<String> kinds = subscriber.events.stream().map(e -> e.getClass().getSimpleName()).toList();
        assertThat(kinds).containsExactly("Assigned", "Token", "Token", "Assigned", "Swapped", "Token", "Token",
                "Token", "Completed");
        GenerationEvent.Swapped swapped = (GenerationEvent.Swapped) subscriber.events.get(4);
        assertThat(swapped.reason()).isEqualTo("health");
        assertThat(swapped.fromWorker()).isEqualTo("worker-a");
        assertThat(swapped.toWorker()).isEqualTo("worker-b");
        assertThat(swapped.afterSequence()).isEqualTo(2);
        assertThat(swapped.gap()).isEqualTo(Duration.ofMillis(500)); // last token before -> first token after
        assertThat(metrics.swaps).containsExactly("health");
        assertThat(metrics.sequenceErrors).isEmpty();
    }

    /**
     * A request that names no model may go to any worker, but once a worker took it the generation is that worker's
     * model's text: its resume must ask for the model CONNECTED named. Sent again with no model, the director may hand
     * the resume to a worker of another model (a mixed fleet: the stand-in beside an upstream model, or two upstream
     * models), which either continues another model's text with its own or, the stand-in, refuses the delivered text
     * with RESUME_MISMATCH: a final error for a generation another worker of its model could have continued.
     */
    @Test
    void aResumeOfARequestThatNamedNoModelAsksForTheModelThatServedIt() {
        start(request(5), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        assertThat(first.request.model()).isNull();
        first.events.assigned(connected("worker-a", 0)); // CONNECTED names model "stand-in"
        tokens(first, 1, 2);

        first.events.retry(new Retry("health", 2, "worker-a", "health poll http 503 DOWN"));

        FakeTransport.FakeLeg second = transport.last();
        assertThat(second.request.resumeAfter()).isEqualTo(2);
        assertThat(second.request.model()).as("the model that served tokens 1..2").isEqualTo("stand-in");
    }

    /** A worker that drains is no failure of the generation: the move avoids that worker but is no migration. */
    @Test
    void aWorkerDrainAvoidsTheWorkerWithoutCountingAMigration() {
        start(request(4), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 2);

        first.events.retry(new Retry("drain", 2, "worker-a", "worker is draining: shutdown"));

        FakeTransport.FakeLeg second = transport.last();
        assertThat(second.request.resumeAfter()).isEqualTo(2);
        assertThat(second.request.avoidWorker()).isEqualTo("worker-a");
        assertThat(second.request.migrations()).as("a drain is not a worker failure").isZero();
        assertThat(metrics.swaps).as("but it is a swap").containsExactly("drain");
    }

    /**
     * A director that shuts down ends the leg with RETRY director_drain while the client moves to another director:
     * the resume waits for the new connection, is not a migration and avoids no worker.
     */
    @Test
    void aDirectorDrainResumesAtTheNextConnectionWithoutCountingAMigration() {
        start(request(4), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 2);

        transport.connected = false; // GOAWAY: the link moves to the next director
        first.events.retry(new Retry(Retry.DIRECTOR_DRAIN, 2, "worker-a", "director d-1 is shutting down"));
        assertThat(transport.legs).as("no leg opens until the new connection is up").hasSize(1);

        transport.connect();
        FakeTransport.FakeLeg second = transport.last();
        assertThat(transport.legs).hasSize(2);
        assertThat(second.request.resumeAfter()).isEqualTo(2);
        assertThat(second.request.deliveredText()).isEqualTo(" t1 t2");
        assertThat(second.request.migrations()).as("not a worker failure").isZero();
        assertThat(second.request.avoidWorker()).isNull();

        second.events.assigned(connected("worker-a", 2));
        tokens(second, 3, 4);
        second.events.ended(new End("gen-1", 4, "length", null));
        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3 t4");
        assertThat(metrics.sequenceErrors).isEmpty();
        assertThat(subscriber.completed).isTrue();
    }

    @Test
    void timeToFirstTokenRunsFromTheStartAcrossASwapBeforeTheFirstTokenAndIsReportedOnce() {
        start(request(3), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        loop.advance(400 * MS);
        first.events.retry(new Retry("stall", 0, "worker-a", "no first token"));
        FakeTransport.FakeLeg second = transport.last();
        second.events.assigned(connected("worker-b", 0));
        loop.advance(100 * MS);
        tokens(second, 1, 3);
        second.events.ended(new End("gen-1", 3, "length", null));

        assertThat(metrics.firstTokens).containsExactly(500 * MS);
        assertThat(metrics.tokens).isEqualTo(3);
    }

    @Test
    void aDuplicateIsDroppedAndAGapResumesAfterTheLastGoodToken() {
        start(request(6), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 2);
        first.events.token(new Token(2, " again"));
        first.events.token(new Token(4, " t4"));

        assertThat(metrics.sequenceErrors).containsExactly(SequenceErrorKind.DUPLICATE, SequenceErrorKind.GAP);
        assertThat(first.cancelled).as("the leg with the gap is ended").isTrue();
        loop.advance(100 * MS); // the backoff
        FakeTransport.FakeLeg second = transport.last();
        assertThat(second.request.resumeAfter()).isEqualTo(2);
        assertThat(second.request.deliveredText()).isEqualTo(" t1 t2");

        first.events.token(new Token(5, " late")); // the old leg's late frames are ignored
        second.events.assigned(connected("worker-b", 2));
        tokens(second, 3, 6);
        second.events.ended(new End("gen-1", 6, "length", null));

        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3 t4 t5 t6");
        assertThat(((GenerationEvent.Completed) subscriber.last()).sequenceErrors()).isEqualTo(2);
    }

    @Test
    void noHealthyWorkerBacksOffWithJitterAndFailsAfterTheBoundedWait() {
        start(request(3), GenerationOptions.waitAtMost(Duration.ofMillis(1000)), Long.MAX_VALUE);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker"));
        assertThat(loop.pending()).singleElement().extracting(ManualLoop.Scheduled::delayNanos).isEqualTo(100 * MS);

        loop.advance(100 * MS);
        assertThat(transport.legs).hasSize(2);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker"));
        assertThat(loop.pending()).singleElement().extracting(ManualLoop.Scheduled::delayNanos).isEqualTo(200 * MS);
        loop.advance(200 * MS);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker"));
        loop.advance(400 * MS);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker"));
        // 700 ms waited: the next wait is cut to the 300 ms left, then the bound is reached
        assertThat(loop.pending()).singleElement().extracting(ManualLoop.Scheduled::delayNanos).isEqualTo(300 * MS);
        loop.advance(300 * MS);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "no healthy worker"));

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER));
        assertThat(metrics.noWorker).isEqualTo(4);
        assertThat(loop.pending()).isEmpty();
    }

    @Test
    void aFinalErrorEndsTheGenerationWithItsCode() {
        start(request(3), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        transport.last().events.refused(new StreamError(ErrorCode.MODEL_NOT_FOUND, "no worker serves model 'x'"));

        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class, failure -> {
            assertThat(failure.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
            assertThat(failure.detail()).isEqualTo("no worker serves model 'x'");
        });
        assertThat(transport.legs).hasSize(1);
    }

    @Test
    void cancellingEndsTheLegAndTheScheduledRetry() {
        GenerationRun run = start(request(10), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected("worker-a", 0));
        tokens(leg, 1, 2);

        run.cancel();
        assertThat(leg.cancelled).isTrue();
        tokens(leg, 3, 4);
        assertThat(subscriber.text()).isEqualTo(" t1 t2");

        GenerationRun waiting = start(GenerationRequest.completion("gen-2", "p", 3), GenerationOptions.WAIT_FOREVER, 1);
        transport.last().events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "none"));
        assertThat(loop.pending()).hasSize(1);
        waiting.cancel();
        assertThat(loop.pending()).isEmpty();
    }

    @Test
    void theFinishedHookRunsOnceWhateverEndsTheGeneration() {
        List<String> finished = new ArrayList<>();

        GenerationRun completed = run(request(2), "completed", finished);
        tokens(transport.last(), 1, 2);
        transport.last().events.ended(new End("gen-1", 2, "length", null));
        completed.cancel(); // after the end: nothing more

        GenerationRun cancelled = run(request(5), "cancelled", finished);
        tokens(transport.last(), 1, 1);
        cancelled.cancel();
        cancelled.cancel();

        GenerationRun failed = run(request(5), "failed", finished);
        transport.last().events.refused(new StreamError(ErrorCode.MODEL_NOT_FOUND, "no worker serves model 'x'"));
        failed.closed();

        GenerationRun closed = run(request(5), "closed", finished);
        closed.closed();

        assertThat(finished).containsExactly("completed", "cancelled", "failed", "closed");
    }

    private GenerationRun run(GenerationRequest request, String name, List<String> finished) {
        GenerationRun run = new GenerationRun(loop, transport, metrics, new Recorder(), request,
                GenerationOptions.WAIT_FOREVER, new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0),
                Level.DEBUG);
        run.whenFinished(() -> finished.add(name));
        run.request(Long.MAX_VALUE);
        run.start();
        transport.last().events.assigned(connected("worker-a", 0));
        return run;
    }

    @Test
    void aSlowSubscriberStopsTheLegReadingUntilItCatchesUp() {
        GenerationRun run = start(request(200), GenerationOptions.WAIT_FOREVER, 0);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected("worker-a", 0));
        tokens(leg, 1, GenerationRun.HIGH_WATER - 1);

        assertThat(leg.reads).containsExactly(false);
        assertThat(subscriber.events).isEmpty();

        run.request(10);
        assertThat(leg.reads).containsExactly(false);
        run.request(GenerationRun.HIGH_WATER);
        assertThat(leg.reads).containsExactly(false, true);
        assertThat(subscriber.events).hasSize(GenerationRun.HIGH_WATER);
    }

    @Test
    void theTimeASlowSubscriberHoldsReadingBackIsNotATokenGap() {
        GenerationRun run = start(request(200), GenerationOptions.WAIT_FOREVER, 0);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected("worker-a", 0));
        loop.advance(10 * MS);
        tokens(leg, 1, GenerationRun.HIGH_WATER - 1); // the queue is full: reading stops
        assertThat(leg.reads).containsExactly(false);
        loop.advance(5 * MS);
        leg.events.token(new Token(GenerationRun.HIGH_WATER, " late")); // on its way before the pause
        loop.advance(20_000 * MS); // the subscriber reads nothing for 20 s
        run.request(Long.MAX_VALUE);
        assertThat(leg.reads).containsExactly(false, true);
        loop.advance(30 * MS);
        leg.events.token(new Token(GenerationRun.HIGH_WATER + 1, " next"));

        assertThat(metrics.gaps).as("the gaps, in ms").containsOnly(0L, 5L, 30L);
        assertThat(metrics.gaps).hasSize(GenerationRun.HIGH_WATER);
    }

    @Test
    void tokensStillOnTheirWayAfterAPauseAreDeliveredInOrder() {
        GenerationRun run = start(request(200), GenerationOptions.WAIT_FOREVER, 0);
        FakeTransport.FakeLeg leg = transport.last();
        leg.events.assigned(connected("worker-a", 0));
        tokens(leg, 1, GenerationRun.HIGH_WATER - 1);
        assertThat(leg.reads).containsExactly(false);

        tokens(leg, GenerationRun.HIGH_WATER, GenerationRun.HIGH_WATER + 20); // sent before the director paused
        leg.events.ended(new End("gen-1", GenerationRun.HIGH_WATER + 20, "length", null));
        assertThat(subscriber.events).isEmpty();

        run.request(Long.MAX_VALUE);

        assertThat(leg.reads).containsExactly(false);
        assertThat(subscriber.events.stream().filter(GenerationEvent.Token.class::isInstance)
                .map(e -> ((GenerationEvent.Token) e).sequence()))
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, GenerationRun.HIGH_WATER + 20)
                        .boxed().toList());
        assertThat(subscriber.completed).isTrue();
        assertThat(metrics.tokens).isEqualTo(GenerationRun.HIGH_WATER + 20);
    }

    @Test
    void aLostDirectorConnectionResumesOnTheNextConnection() {
        start(request(4), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 2);
        transport.connected = false;
        first.events.broken("connection to the director lost");
        assertThat(transport.legs).hasSize(1);

        transport.connect();
        FakeTransport.FakeLeg second = transport.last();
        assertThat(second.request.resumeAfter()).isEqualTo(2);
        assertThat(second.request.deliveredText()).isEqualTo(" t1 t2");
        assertThat(second.request.migrations()).as("a lost director is not a migration").isZero();
        second.events.assigned(connected("worker-a", 2));
        tokens(second, 3, 4);
        second.events.ended(new End("gen-1", 4, "length", null));
        assertThat(subscriber.text()).isEqualTo(" t1 t2 t3 t4");
        assertThat(subscriber.completed).isTrue();
    }

    @Test
    void everyLegCarriesTheCallersTraceparentSwapsGapsRefusalsAndReconnectsIncluded() {
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        start(request(8).withTraceparent(traceparent), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 2);
        first.events.retry(new Retry("health", 2, "worker-a", "down")); // a swap: leg 2

        FakeTransport.FakeLeg second = transport.last();
        second.events.refused(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "none")); // asked again after a backoff
        loop.advance(1000 * MS);
        FakeTransport.FakeLeg third = transport.last();
        third.events.assigned(connected("worker-b", 2));
        tokens(third, 3, 3);
        third.events.token(new Token(5, " t5")); // a gap: resumed after 3, after the backoff
        loop.advance(100 * MS);

        FakeTransport.FakeLeg fourth = transport.last();
        fourth.events.assigned(connected("worker-a", 3));
        tokens(fourth, 4, 5);
        transport.connected = false;
        fourth.events.broken("connection to the director lost");
        transport.connect(); // resumed on the next connection

        FakeTransport.FakeLeg fifth = transport.last();
        fifth.events.assigned(connected("worker-a", 5));
        tokens(fifth, 6, 8);
        fifth.events.ended(new End("gen-1", 8, "length", null));

        assertThat(subscriber.completed).isTrue();
        assertThat(transport.legs).hasSize(5);
        assertThat(transport.legs).allSatisfy(leg -> assertThat(leg.request.traceparent()).isEqualTo(traceparent));
        assertThat(transport.legs.stream().map(leg -> leg.request.resumeAfter()).toList())
                .containsExactly(0, 2, 2, 3, 5);
    }

    @Test
    void noDirectorWithinTheBoundedWaitFails() {
        transport.connected = false;
        start(request(4), GenerationOptions.waitAtMost(Duration.ofSeconds(2)), Long.MAX_VALUE);
        loop.advance(2000 * MS);
        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER));
        assertThat(transport.waiters).isEmpty();
    }

    @Test
    void noDirectorWithinTheBoundedWaitSaysWhyTheConnectionIsMissing() {
        transport.connected = false;
        transport.problem = "cannot connect to director 127.0.0.1:1 (tls.name=127.0.0.1): refused";
        start(request(4), GenerationOptions.waitAtMost(Duration.ofSeconds(2)), Long.MAX_VALUE);
        loop.advance(2000 * MS);
        assertThat(subscriber.failure).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.detail()).isEqualTo("no connection to a director within PT2S: "
                        + "cannot connect to director 127.0.0.1:1 (tls.name=127.0.0.1): refused"));
    }

    @Test
    void anEndBeyondTheLastTokenReceivedIsAGapThatResumes() {
        start(request(3), GenerationOptions.WAIT_FOREVER, Long.MAX_VALUE);
        FakeTransport.FakeLeg first = transport.last();
        first.events.assigned(connected("worker-a", 0));
        tokens(first, 1, 1);
        first.events.ended(new End("gen-1", 3, "length", null));
        assertThat(metrics.sequenceErrors).containsExactly(SequenceErrorKind.GAP);
        loop.advance(100 * MS); // the backoff
        assertThat(transport.legs).hasSize(2);
        assertThat(transport.last().request.resumeAfter()).isEqualTo(1);
        assertThat(subscriber.completed).isFalse();
    }
}
