package io.connectionswap.protocol.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void ceilingsDoubleUpToTheCapAndEachWaitIsTheDrawTimesItsCeiling() {
        double[] draws = {1.0, 1.0, 0.5, 0.0, 1.0, 0.25, 1.0};
        int[] i = {0};
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(500), () -> draws[i[0]++]);

        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(100));  // ceiling 100, draw 1
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(200));  // ceiling 200, draw 1
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(200));  // ceiling 400, draw 0.5
        assertThat(backoff.capped()).isTrue();
        assertThat(backoff.next()).isEqualTo(Duration.ZERO);           // ceiling 500 (capped), draw 0
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(500));  // stays capped, draw 1
        assertThat(backoff.attempts()).isEqualTo(5);

        backoff.reset();
        assertThat(backoff.attempts()).isZero();
        assertThat(backoff.ceiling()).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(25));   // back to the first ceiling, draw 0.25
    }

    @Test
    void everyWaitStaysWithinZeroAndItsCeilingAndTheCeilingNeverPassesTheCap() {
        Duration max = Duration.ofSeconds(5);
        Backoff backoff = new Backoff(Duration.ofMillis(100), max, new SplittableRandom(7)::nextDouble);
        for (int attempt = 0; attempt < 10_000; attempt++) {
            Duration ceiling = backoff.ceiling();
            Duration wait = backoff.next();
            assertThat(wait).isBetween(Duration.ZERO, ceiling);
            assertThat(backoff.ceiling()).isLessThanOrEqualTo(max);
        }
        assertThat(backoff.ceiling()).isEqualTo(max);
    }

    /**
     * A thousand peers that failed at the same moment do not come back in step: their first waits cover the whole
     * window (full jitter), with a mean near half the ceiling.
     */
    @Test
    void simultaneousFailuresSpreadOverTheWholeWindow() {
        SplittableRandom seeds = new SplittableRandom(42);
        List<Long> firstWaits = new ArrayList<>();
        List<Long> fourthWaits = new ArrayList<>();
        for (int peer = 0; peer < 1000; peer++) {
            Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), seeds.split()::nextDouble);
            firstWaits.add(backoff.next().toMillis());
            backoff.next();
            backoff.next();
            fourthWaits.add(backoff.next().toMillis()); // ceiling 800 ms
        }
        assertSpread(firstWaits, 100);
        assertSpread(fourthWaits, 800);
    }

    private static void assertSpread(List<Long> waits, long ceilingMillis) {
        long[] buckets = new long[10];
        for (long wait : waits) {
            assertThat(wait).isBetween(0L, ceilingMillis);
            buckets[(int) Math.min(9, wait * 10 / ceilingMillis)]++;
        }
        for (long bucket : buckets) {
            assertThat(bucket).as("every tenth of the window gets some of 1000 peers").isBetween(50L, 150L);
        }
        double mean = waits.stream().mapToLong(Long::longValue).average().orElseThrow();
        assertThat(mean).isBetween(ceilingMillis * 0.45, ceilingMillis * 0.55);
    }

    @Test
    void theDefaultRandomSpreadsToo() {
        Backoff first = Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1));
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            waits.add(first.next());
        }
        assertThat(waits).allSatisfy(wait -> assertThat(wait).isBetween(Duration.ZERO, Duration.ofSeconds(1)));
        assertThat(waits.stream().distinct().count()).isGreaterThan(150);
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), () -> 0))
                .hasMessageContaining("initial backoff: PT0S (expected: > 0)");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0))
                .hasMessageContaining("expected: >= initial");
        assertThatThrownBy(() -> Backoff.check(Duration.ofSeconds(1), Duration.ofDays(400)))
                .hasMessageContaining("expected: <= PT24H");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), null))
                .hasMessageContaining("random");
        Backoff broken = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), () -> 1.5);
        assertThatThrownBy(broken::next).hasMessageContaining("random draw: 1.5");
    }
}
