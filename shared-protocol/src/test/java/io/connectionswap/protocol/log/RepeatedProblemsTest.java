package io.connectionswap.protocol.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class RepeatedProblemsTest {

    private final AtomicLong now = new AtomicLong();
    private final RepeatedProblems problems = new RepeatedProblems(Duration.ofMinutes(5), 2, now::get);

    @Test
    void theFirstOccurrenceIsLoudRepeatsAreDebugAndAReminderCountsThemAtMostEveryInterval() {
        assertThat(problems.occurred("a", Level.ERROR)).isEqualTo(new RepeatedProblems.Occurrence(true, 0, Level.ERROR));
        for (int i = 0; i < 3; i++) {
            now.addAndGet(Duration.ofMinutes(1).toNanos());
            assertThat(problems.occurred("a", Level.ERROR).level()).isEqualTo(Level.DEBUG);
        }
        now.addAndGet(Duration.ofMinutes(2).toNanos()); // 5 min after the first
        assertThat(problems.occurred("a", Level.ERROR)).as("a reminder with the repeats since the first")
                .isEqualTo(new RepeatedProblems.Occurrence(false, 4, Level.WARN));
        assertThat(problems.occurred("a", Level.ERROR)).isEqualTo(new RepeatedProblems.Occurrence(false, 1, Level.DEBUG));
    }

    @Test
    void anotherProblemIsAFirstOneAndAForgottenProblemIsLoudAgain() {
        problems.occurred("a", Level.WARN);
        assertThat(problems.occurred("b", Level.WARN).first()).isTrue();
        assertThat(problems.occurred("a", Level.WARN).first()).isFalse();
        problems.forget();
        assertThat(problems.occurred("a", Level.WARN).first()).as("after a success").isTrue();
    }

    @Test
    void onlyTheMostRecentProblemsAreRemembered() {
        problems.occurred("a", Level.WARN);
        problems.occurred("b", Level.WARN);
        problems.occurred("c", Level.WARN); // remembers 2: a goes
        assertThat(problems.occurred("c", Level.WARN).first()).isFalse();
        assertThat(problems.occurred("a", Level.WARN).first()).isTrue();
    }

    @Test
    void settingsThatCannotWorkAreRefused() {
        assertThatThrownBy(() -> new RepeatedProblems(Duration.ZERO, 1, now::get))
                .hasMessage("remindEvery: PT0S (expected: > 0)");
        assertThatThrownBy(() -> new RepeatedProblems(Duration.ofSeconds(1), 0, now::get))
                .hasMessage("remembered: 0 (expected: > 0)");
    }
}
