package io.connectionswap.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.mock.env.MockEnvironment;

/**
 * A drain that may outlast Spring's shutdown phase is cut short at shutdown: the director and the worker say so at
 * start, naming both settings (the worker did not check its CONNECTION_SWAP_DRAIN_TIMEOUT at all).
 */
class ShutdownPhaseTest {

    private static final Logger log = LoggerFactory.getLogger(ShutdownPhaseTest.class);

    @Test
    void aDrainThatLeavesLessThanASecondOfThePhaseIsWarnedAbout() {
        MockEnvironment worker = new MockEnvironment().withProperty("spring.lifecycle.timeout-per-shutdown-phase",
                "45s");
        worker.setConversionService(new ApplicationConversionService()); // as in a Boot application: "45s" is 45 s
        try (CapturedLogs logs = CapturedLogs.of(ShutdownPhaseTest.class)) {
            ShutdownPhase.warnIfOutlasted(worker, Duration.ofSeconds(20), "CONNECTION_SWAP_DRAIN_TIMEOUT", log);
            assertThat(logs.events()).as("20 s in 45 s").isEmpty();

            ShutdownPhase.warnIfOutlasted(worker, Duration.ofSeconds(50), "CONNECTION_SWAP_DRAIN_TIMEOUT", log);
            assertThat(logs.events()).singleElement().satisfies(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.WARN);
                assertThat(event.getFormattedMessage()).contains("drain.timeout=PT50S", "shutdown.phase.timeout=PT45S",
                        "lower CONNECTION_SWAP_DRAIN_TIMEOUT");
            });
        }
    }

    @Test
    void withoutASettingThePhaseIsSpringsThirtySeconds() {
        assertThat(ShutdownPhase.timeout(new MockEnvironment())).isEqualTo(Duration.ofSeconds(30));
        try (CapturedLogs logs = CapturedLogs.of(ShutdownPhaseTest.class)) {
            ShutdownPhase.warnIfOutlasted(new MockEnvironment(), Duration.ofMillis(29_500), "CONNECTION_SWAP_DIRECTOR_DRAIN_TIMEOUT", log);
            assertThat(logs.events()).as("29.5 s leaves less than a second of 30 s").hasSize(1);
        }
    }
}
