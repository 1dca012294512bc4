package io.connectionswap.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stand-in continues a resume exactly, and refuses one whose delivered text is not its own. */
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

    private static GenerationContext context(int resumeAfter, String delivered) {
        return new GenerationContext("gen-1", null, PROMPT, null, SamplingParameters.maxTokens(10), resumeAfter,
                delivered, null);
    }
}
