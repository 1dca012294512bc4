package io.connectionswap.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Lockstep pacing puts the ticks of every generation of a backend on one clock (a batching engine's decode steps);
 * staggered pacing keeps each on its own. Both emit token 1 at once.
 */
class PacingTest {

    private static final Duration INTERVAL = Duration.ofMillis(200);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void staggeredWaitsOneIntervalAndLockstepWaitsForTheNextMultipleOfIt() {
        long interval = INTERVAL.toNanos();
        assertThat(Pacing.STAGGERED.secondTickDelayNanos(5 * interval + 30, INTERVAL)).isEqualTo(interval);
        assertThat(Pacing.LOCKSTEP.secondTickDelayNanos(5 * interval + 30, INTERVAL)).isEqualTo(interval - 30);
        assertThat(Pacing.LOCKSTEP.secondTickDelayNanos(5 * interval, INTERVAL)).isEqualTo(interval);
        assertThat(Pacing.LOCKSTEP.secondTickDelayNanos(-interval - 30, INTERVAL))
                .as("System.nanoTime() may be negative").isEqualTo(30);
    }

    @Test
    void settingNamesAreParsedInAnyCaseAndOthersRefusedByName() {
        assertThat(Pacing.parse("--pacing", "Lockstep")).isEqualTo(Pacing.LOCKSTEP);
        assertThat(Pacing.parse("--pacing", " staggered ")).isEqualTo(Pacing.STAGGERED);
        assertThatThrownBy(() -> Pacing.parse("--pacing", "burst"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--pacing=burst (expected: staggered or lockstep)");
    }

    @Test
    void lockstepGenerationsStartedApartEmitTheirLaterTokensTogether() throws InterruptedException {
        PacedBackend backend = backend(Pacing.LOCKSTEP);
        TimedSubscriber first = new TimedSubscriber();
        backend.generate(context("gen-1")).subscribe(first);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.emittedAt.size() >= 1);
        TimeUnit.MILLISECONDS.sleep(INTERVAL.toMillis() / 4); // start the second one off the first one's phase
        TimedSubscriber second = new TimedSubscriber();
        backend.generate(context("gen-2")).subscribe(second);

        await().atMost(Duration.ofSeconds(10)).until(() -> first.done && second.done);

        // token 1 of the second came at its start; its tokens 2 and 3 fall on ticks of the first (still running)
        for (int i = 1; i <= 2; i++) {
            long at = second.emittedAt.get(i);
            long apart = first.emittedAt.stream().mapToLong(t -> Math.abs(t - at)).min().orElseThrow();
            assertThat(apart).as("token %d of the second generation on a tick of the first, %d ns apart", i + 1, apart)
                    .isLessThan(INTERVAL.toNanos() / 8);
        }
    }

    @Test
    void staggeredGenerationsKeepTheirOwnPhase() throws InterruptedException {
        PacedBackend backend = backend(Pacing.STAGGERED);
        TimedSubscriber first = new TimedSubscriber();
        backend.generate(context("gen-1")).subscribe(first);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.emittedAt.size() >= 1);
        TimeUnit.MILLISECONDS.sleep(INTERVAL.toMillis() / 2);
        TimedSubscriber second = new TimedSubscriber();
        backend.generate(context("gen-2")).subscribe(second);

        await().atMost(Duration.ofSeconds(10)).until(() -> first.done && second.done);

        long apart = Math.abs(second.emittedAt.get(2) - first.emittedAt.get(2));
        assertThat(apart).as("each generation ticks from its own start").isGreaterThan(INTERVAL.toNanos() / 8);
    }

    private PacedBackend backend(Pacing pacing) {
        return new PacedBackend("test", List.of("stand-in"), INTERVAL, scheduler, (prompt, n) -> "w" + n + " ",
                PacedBackend.ResumeCheck.NONE, pacing);
    }

    private static GenerationContext context(String id) {
        return new GenerationContext(id, null, "a prompt", null, SamplingParameters.maxTokens(6), 0, "", null);
    }

    /** Notes when each token arrived. */
    private static final class TimedSubscriber implements Flow.Subscriber<ModelEvent> {
        final List<Long> emittedAt = new CopyOnWriteArrayList<>();
        volatile boolean done;

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(ModelEvent event) {
            if (event instanceof ModelEvent.Text) {
                emittedAt.add(System.nanoTime());
            }
        }

        @Override
        public void onError(Throwable failure) {
            done = true;
        }

        @Override
        public void onComplete() {
            done = true;
        }
    }
}
