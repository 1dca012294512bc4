package io.connectionswap.director.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The limits themselves: fixed-pace streams as before, self-paced streams by first-token and gap allowances. */
class StallPolicyTest {

    private static final Duration SELF_PACED = Duration.ZERO;
    private final StallPolicy policy = new StallPolicy(Duration.ofMillis(300), 3, Duration.ofSeconds(30),
            Duration.ofSeconds(15));

    @Test
    void aWorkerHangsWhenSilentOnLinkAndStreamsForLongerThanTheStallMinimum() {
        long now = 1_000_000_000_000L;
        assertThat(policy.hung(now, now - ms(300))).isFalse();
        assertThat(policy.hung(now, now - ms(301))).isTrue();
    }

    @Test
    void fixedPaceStreamsKeepTodaysLimits() {
        assertThat(millis(policy.streamLimitNanos(Duration.ofMillis(50), true, true))).as("3 x 50 ms, at least 300")
                .isEqualTo(300);
        assertThat(millis(policy.streamLimitNanos(Duration.ofSeconds(1), true, true))).isEqualTo(3000);
        assertThat(millis(policy.streamLimitNanos(Duration.ofMillis(50), false, false)))
                .as("hand-off: the first-token allowance, as for any live worker").isEqualTo(30_000);
        assertThat(millis(policy.streamLimitNanos(Duration.ofSeconds(1), false, false))).isEqualTo(30_000);
    }

    @Test
    void selfPacedStreamsGetTheFirstTokenAllowanceThenTheGapAllowance() {
        assertThat(millis(policy.streamLimitNanos(SELF_PACED, false, false))).isEqualTo(30_000);
        assertThat(millis(policy.streamLimitNanos(SELF_PACED, true, false))).as("CONNECTED is not a token")
                .isEqualTo(30_000);
        assertThat(millis(policy.streamLimitNanos(SELF_PACED, true, true))).isEqualTo(15_000);
        assertThat(policy.describeStreamLimit(SELF_PACED, true, false)).contains("CONNECTION_SWAP_FIRST_TOKEN_TIMEOUT");
        assertThat(policy.describeStreamLimit(SELF_PACED, true, true)).contains("CONNECTION_SWAP_TOKEN_GAP_TIMEOUT");
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
