package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HeartbeatTurnsTest {

    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    @Test
    void theConnectionsTakeTurnsSoTheWorkerGetsOneHeartbeatEveryInterval() {
        HeartbeatTurns turns = HeartbeatTurns.of(INTERVAL, TIMEOUT, 4);

        assertThat(turns.period()).isEqualTo(Duration.ofMillis(400));
        assertThat(IntStream.range(0, 4).mapToObj(turns::offset))
                .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300),
                        Duration.ofMillis(400));
    }

    @Test
    void anEchoMayBeAsLateAsWithAHeartbeatEveryInterval() {
        HeartbeatTurns turns = HeartbeatTurns.of(INTERVAL, TIMEOUT, 4);

        // before: a connection was lost when its echo was more than timeout - interval (900 ms) late
        assertThat(turns.timeout().minus(turns.period())).isEqualTo(TIMEOUT.minus(INTERVAL));
    }

    @Test
    void oneConnectionKeepsTheIntervalAndTheTimeout() {
        HeartbeatTurns turns = HeartbeatTurns.of(INTERVAL, TIMEOUT, 1);

        assertThat(turns.period()).isEqualTo(INTERVAL);
        assertThat(turns.timeout()).isEqualTo(TIMEOUT);
        assertThat(turns.offset(0)).isEqualTo(INTERVAL);
    }

    @Test
    void manyConnectionsStillGetTwoHeartbeatsWithinTheTimeout() {
        HeartbeatTurns turns = HeartbeatTurns.of(INTERVAL, TIMEOUT, 64);

        assertThat(turns.period()).isEqualTo(Duration.ofMillis(500));
        assertThat(turns.timeout()).isEqualTo(Duration.ofMillis(1400));
        assertThat(IntStream.range(0, 64).mapToObj(turns::offset))
                .allSatisfy(offset -> assertThat(offset).isPositive().isLessThanOrEqualTo(turns.period()))
                .doesNotHaveDuplicates();
    }

    @Test
    void aTimeoutShorterThanTwoIntervalsKeepsTheInterval() {
        HeartbeatTurns turns = HeartbeatTurns.of(INTERVAL, Duration.ofMillis(150), 4);

        assertThat(turns.period()).isEqualTo(INTERVAL);
        assertThat(turns.timeout()).isEqualTo(Duration.ofMillis(150));
    }

    @Test
    void aLinkHasAtLeastOneConnection() {
        assertThatThrownBy(() -> HeartbeatTurns.of(INTERVAL, TIMEOUT, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
