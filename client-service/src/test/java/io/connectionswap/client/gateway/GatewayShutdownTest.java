package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.support.GenericApplicationContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * The gateway's part of the graceful shutdown: answers running when it nears its end are ended with
 * {@code shutting_down} after the events they delivered, their generations cancelled; answers that end in time, and
 * a shutdown with none running, are not held up or touched.
 */
class GatewayShutdownTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final AnswersInFlight answers = new AnswersInFlight();

    @Test
    void answersStillRunningAreEndedWithTheErrorAfterWhatTheyDelivered() {
        Sinks.Many<String> generation = Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean cancelled = new AtomicBoolean();
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        answers.endable(generation.asFlux().doOnCancel(() -> cancelled.set(true)), () -> GatewayError.shuttingDown(1))
                .subscribe(received::add, failure::set);
        generation.tryEmitNext("one");

        assertThat(answers.running()).isEqualTo(1);
        assertThat(answers.endAll()).isEqualTo(1);

        assertThat(received).containsExactly("one");
        assertThat(cancelled).as("the generation is cancelled").isTrue();
        assertThat(failure.get()).isInstanceOfSatisfying(GatewayError.class, error -> {
            assertThat(error.code()).isEqualTo("shutting_down");
            assertThat(error.status().value()).isEqualTo(503);
            assertThat(error.retryAfterSeconds()).isEqualTo(1);
            assertThat(error.getMessage()).isEqualTo("the gateway is shutting down; retry later");
        });
        assertThat(answers.running()).isZero();
        assertThat(answers.noneRunning()).isDone();

        // one that starts after the end is ended at once
        AtomicReference<Throwable> late = new AtomicReference<>();
        answers.endable(Flux.never(), () -> GatewayError.shuttingDown(1)).subscribe(item -> { }, late::set);
        assertThat(late.get()).isInstanceOf(GatewayError.class);
    }

    @Test
    void answersThatEndInTimeAreUntouched() {
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicBoolean completed = new AtomicBoolean();
        answers.endable(Flux.just("a", "b"), () -> GatewayError.shuttingDown(1))
                .subscribe(received::add, failure -> { }, () -> completed.set(true));

        assertThat(received).containsExactly("a", "b");
        assertThat(completed).isTrue();
        assertThat(answers.endAll()).as("nothing left to end").isZero();
    }

    @Test
    void theStopIsDoneOnceTheLastAnswerEndsOrAtTheDeadline() {
        Sinks.Many<String> generation = Sinks.many().unicast().onBackpressureBuffer();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        answers.endable(generation.asFlux(), () -> GatewayError.shuttingDown(1)).subscribe(item -> { }, failure::set);
        GatewayShutdown shutdown = new GatewayShutdown(answers, Duration.ofMinutes(10));
        shutdown.start();
        AtomicBoolean stopped = new AtomicBoolean();

        shutdown.stop(() -> stopped.set(true));
        assertThat(shutdown.isRunning()).isFalse();
        assertThat(stopped).as("an answer still runs, the deadline is far").isFalse();
        generation.tryEmitComplete();
        await().atMost(DEADLINE).untilTrue(stopped);
        assertThat(failure.get()).as("it ended in time, untouched").isNull();

        // a short phase: the answer running at its deadline is ended
        AnswersInFlight others = new AnswersInFlight();
        others.endable(Flux.never(), () -> GatewayError.shuttingDown(1)).subscribe(item -> { }, failure::set);
        GatewayShutdown quick = new GatewayShutdown(others, Duration.ofMillis(200));
        quick.start();
        AtomicBoolean quickStopped = new AtomicBoolean();
        quick.stop(() -> quickStopped.set(true));
        await().atMost(DEADLINE).untilTrue(quickStopped);
        assertThat(failure.get()).isInstanceOf(GatewayError.class);
    }

    /**
     * A context stopped and started again (Spring calls {@code stop(Runnable)} for a stop as for a close; the web server
     * starts again): the gateway serves again, and answers begun after the restart are not ended as at shutdown.
     */
    @Test
    void afterTheContextIsStoppedAndStartedAgainAnswersRunAsBefore() {
        try (GenericApplicationContext context = new GenericApplicationContext()) {
            context.registerBean(GatewayShutdown.class, () -> new GatewayShutdown(answers, Duration.ofMillis(200)));
            context.refresh();
            AtomicReference<Throwable> endedAtStop = new AtomicReference<>();
            answers.endable(Flux.never(), () -> GatewayError.shuttingDown(1))
                    .subscribe(item -> { }, endedAtStop::set);

            context.stop();
            assertThat(endedAtStop.get()).as("the answer running at the stop's deadline was ended")
                    .isInstanceOf(GatewayError.class);
            context.start();

            List<String> received = new CopyOnWriteArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean completed = new AtomicBoolean();
            answers.endable(Flux.just("a", "b"), () -> GatewayError.shuttingDown(1))
                    .subscribe(received::add, failure::set, () -> completed.set(true));
            assertThat(failure.get()).as("an answer after the restart is served, not ended").isNull();
            assertThat(received).containsExactly("a", "b");
            assertThat(completed).isTrue();
        }
    }

    @Test
    void answersAreEndedShortlyBeforeThePhaseRunsOut() {
        assertThat(GatewayShutdown.endBefore(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(28));
        assertThat(GatewayShutdown.endBefore(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(1));
        assertThat(GatewayShutdown.endBefore(Duration.ZERO)).isEqualTo(Duration.ZERO);
        assertThat(new GatewayShutdown(answers, Duration.ofSeconds(30)).getPhase())
                .as("beside the web server's graceful stop")
                .isEqualTo(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE);
        assertThatThrownBy(() -> new GatewayShutdown(answers, Duration.ofSeconds(-1)))
                .hasMessageContaining("expected: >= 0");
    }
}
