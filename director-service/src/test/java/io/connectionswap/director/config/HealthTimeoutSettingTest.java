package io.connectionswap.director.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code CONNECTION_SWAP_HEALTH_TIMEOUT=-2s} (a typo for {@code 2s}, or any negative value) is taken silently as
 * "unset": {@code HealthProperties} replaces a negative or zero timeout with 80% of the interval, so the operator's
 * value is dropped without a word while an over-long one ({@code >= interval}) stops the start naming the variable.
 * Blank (unset) should keep meaning 80% of the interval; a negative value should be refused the same way.
 */
class HealthTimeoutSettingTest {

    @Test
    void aNegativeHealthTimeoutStopsTheStartNamingItsSetting() {
        assertThatThrownBy(() -> new HealthProperties(Duration.ofSeconds(5), Duration.ofSeconds(-2), 1, 2, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_HEALTH_TIMEOUT");
    }
}
