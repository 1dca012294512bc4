package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UpstreamBackOffTest {

    private static final Instant NOW = Instant.parse("2026-12-06T20:00:00Z");
    private static final Instant IN_A_MINUTE = Instant.parse("2026-12-06T20:01:00Z");

    /**
     * Only the IMF-fixdate form of an HTTP date was read: a 503 whose {@code Retry-After} had the obsolete RFC 850 or
     * asctime form, which RFC 9110 (section 5.6.7) says a recipient must accept as well, was taken as no back-off and
     * the worker stayed in rotation. Now all three forms are read, and delta-seconds as before.
     */
    @Test
    void retryAfterIsReadAsSecondsOrAnyOfTheThreeHttpDateForms() {
        assertThat(backOffUntil("60")).as("delta-seconds").isEqualTo(IN_A_MINUTE);
        assertThat(backOffUntil("Sun, 06 Dec 2026 20:01:00 GMT")).as("IMF-fixdate").isEqualTo(IN_A_MINUTE);
        assertThat(backOffUntil("Sunday, 06-Dec-26 20:01:00 GMT")).as("RFC 850").isEqualTo(IN_A_MINUTE);
        assertThat(backOffUntil("Sun Dec  6 20:01:00 2026")).as("asctime").isEqualTo(IN_A_MINUTE);
        assertThat(UpstreamBackOff.parse("Wed Dec 16 20:01:00 2026", NOW)).as("asctime, a two-digit day")
                .isEqualTo(Duration.between(NOW, Instant.parse("2026-12-16T20:01:00Z")));
        assertThat(backOffUntil("soon")).as("neither: no back-off").isNull();
    }

    /** RFC 850's two-digit year more than 50 years ahead is the most recent past year with those digits. */
    @Test
    void aTwoDigitYearIsNeverMoreThanFiftyYearsAhead() {
        assertThat(UpstreamBackOff.parse("Friday, 06-Dec-75 20:01:00 GMT", NOW))
                .as("2075 is within 50 years: a back-off far beyond the longest").isPositive();
        assertThat(UpstreamBackOff.parse("Tuesday, 06-Dec-77 20:01:00 GMT", NOW))
                .as("2077 is more than 50 years ahead: 1977, long past").isNegative();
    }

    private static Instant backOffUntil(String retryAfter) {
        UpstreamBackOff backOff = new UpstreamBackOff(URI.create("http://127.0.0.1:8000/v1"));
        backOff.answered(503, Optional.of(retryAfter), NOW);
        return backOff.until(NOW);
    }
}
