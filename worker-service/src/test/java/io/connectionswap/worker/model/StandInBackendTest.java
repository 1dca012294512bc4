package io.connectionswap.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stand-in continues a resume exactly, refuses one whose delivered text is not its own, and ends its text where a
 * stop sequence begins.
 */
class StandInBackendTest {

    private static final String PROMPT = "tell me about swaps";
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final PacedBackend backend = StandInBackend.create(Duration.ofMillis(1), scheduler);
    private final DeterministicTokenModel words = new DeterministicTokenModel();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void aResumeWithTheDeliveredTextContinuesWithTheNextToken() {
        GenerationContext resume = context(4, words.text(PROMPT, 1, 4));

        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(resume).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.error()).isNull();
        assertThat(events.text()).isEqualTo(words.text(PROMPT, 5, 10));
        assertThat(events.texts()).hasSize(6);
    }

    @Test
    void aCorruptedDeliveredTextIsRefusedWithResumeMismatch() {
        String delivered = words.text(PROMPT, 1, 4);
        String corrupted = delivered.substring(0, 5) + "X" + delivered.substring(6);
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(context(4, corrupted)).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.texts()).as("no token after a corrupt resume").isEmpty();
        assertThat(events.error()).isInstanceOf(ModelException.class)
                .hasMessageContaining("delivered text of a resume after token 4 is not the stand-in's text")
                .hasMessageContaining("differs at character 5");
        assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.RESUME_MISMATCH);
        assertThat(ErrorCode.RESUME_MISMATCH.isRequestFault()).as("final for the client, never swapped").isTrue();
    }

    @Test
    void aDeliveredTextMissingItsLastTokenIsRefused() {
        String oneShort = words.text(PROMPT, 1, 3);
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(context(4, oneShort)).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.RESUME_MISMATCH);
    }

    @Test
    void aStopSequenceInsideATokenEndsTheTextWhereTheStopBeginsAsOpenAisDoes() {
        String third = words.token(PROMPT, 3);
        String stop = third.substring(2);
        String before = words.text(PROMPT, 1, 2) + third.substring(0, 2);
        assertThat(words.text(PROMPT, 1, 10).indexOf(stop)).as("the stop first occurs in token 3").isEqualTo(before.length());
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(stopping(0, "", stop)).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.error()).isNull();
        assertThat(events.text()).isEqualTo(before);
        assertThat(events.texts()).hasSize(3);
        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
        assertThat(events.finished().usage().completionTokens()).isEqualTo(3);
    }

    @Test
    void aStopSequenceBegunInSentTextEndsBeforeTheTokenThatCompletesIt() {
        String second = words.token(PROMPT, 2);
        String stop = second.substring(second.length() - 1) + words.token(PROMPT, 3).substring(0, 2);
        assertThat(words.text(PROMPT, 1, 10).indexOf(stop)).as("the stop first occurs across tokens 2 and 3")
                .isEqualTo(words.text(PROMPT, 1, 2).length() - 1);
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(stopping(0, "", stop)).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.text()).isEqualTo(words.text(PROMPT, 1, 2));
        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
        assertThat(events.finished().usage().completionTokens()).isEqualTo(2);
    }

    @Test
    void aResumeAfterATokenCutAtAStopEndsAtOnce() {
        String third = words.token(PROMPT, 3);
        String stop = third.substring(2);
        String delivered = words.text(PROMPT, 1, 2) + third.substring(0, 2);
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(stopping(3, delivered, stop)).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.error()).isNull();
        assertThat(events.texts()).isEmpty();
        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void aResumeAfterATokenCutWhereNoStopBeginsIsRefused() {
        String third = words.token(PROMPT, 3);
        String delivered = words.text(PROMPT, 1, 2) + third.substring(0, 2);
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(stopping(3, delivered, "no such stop")).subscribe(events);

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.RESUME_MISMATCH);
    }

    @Test
    void thePromptTokensReportedAreItsWordsAsARegexSplitWouldCountThem() {
        for (String prompt : List.of("", "   ", "one", "  two words ", "a\tb\nc\rd\fe\u000Bf", "x  \n\n  y")) {
            String trimmed = prompt.trim();
            assertThat(PacedBackend.words(prompt)).as("'%s'", prompt)
                    .isEqualTo(trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length);
        }
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context(0, "")).subscribe(events);
        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.finished().usage().promptTokens()).isEqualTo(4); // "tell me about swaps"
    }

    private static GenerationContext context(int resumeAfter, String delivered) {
        return new GenerationContext("gen-1", null, PROMPT, null, SamplingParameters.maxTokens(10), resumeAfter,
                delivered, null);
    }

    private static GenerationContext stopping(int resumeAfter, String delivered, String stop) {
        return new GenerationContext("gen-1", null, PROMPT, null,
                new SamplingParameters(10, null, null, List.of(stop), null, null), resumeAfter, delivered, null);
    }
}
