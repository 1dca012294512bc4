package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void waitsDoubleUpToTheCapWithJitterInTheUpperHalf() {
        double[] draws = {0.0, 1.0, 0.5, 0.0, 1.0, 1.0};
        int[] i = {0};
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(500), () -> draws[i[0]++]);

        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(50));   // [50, 100], draw 0
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(200));  // [100, 200], draw 1
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(300));  // [200, 400], draw 0.5
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(250));  // [250, 500] capped, draw 0
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(500));  // stays capped
        backoff.reset();
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(100));  // back to the first ceiling, draw 1
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), () -> 0))
                .hasMessageContaining("initial backoff");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0))
                .hasMessageContaining("expected: >= initial");
    }
}
