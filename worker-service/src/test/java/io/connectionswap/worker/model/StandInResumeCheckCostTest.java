package io.connectionswap.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A resume's {@code resumeAfter} comes from the client (the director passes GENERATE on as it is, checking only
 * {@code resumeAfter <= maxTokens}). The stand-in's check of the delivered text must cost what the delivered text
 * costs, not what {@code resumeAfter} claims: a GENERATE with {@code maxTokens = resumeAfter = 2 000 000 000} and a
 * one-character {@code deliveredText} must not make the worker build gigabytes of expected text on its event loop
 * (OutOfMemoryError; and the director moves the "failed" generation on to the next worker, which then does the same).
 */
class StandInResumeCheckCostTest {

    private static final String PROMPT = "tell me about swaps";
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final PacedBackend backend = StandInBackend.create(Duration.ofMillis(1), scheduler);

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void aResumeClaimingMillionsOfTokensWithAOneCharacterTextIsRefusedWithoutBuildingTheirText() {
        int claimed = 5_000_000; // far below what a hostile client may claim (Integer.MAX_VALUE), enough to measure
        GenerationContext resume = new GenerationContext("gen-1", null, PROMPT, null,
                SamplingParameters.maxTokens(claimed), claimed, "x", null);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();

        long before = threads.getThreadAllocatedBytes(thread);
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(resume).subscribe(events); // the resume check runs here, on the caller's (the stream's) loop
        long allocated = threads.getThreadAllocatedBytes(thread) - before;

        events.awaitTerminal(Duration.ofSeconds(10));
        assertThat(events.error()).isInstanceOf(ModelException.class);
        assertThat(((ModelException) events.error()).code()).isEqualTo(ErrorCode.RESUME_MISMATCH);
        assertThat(allocated)
                .as("bytes allocated to refuse a 1-character delivered text claimed to be " + claimed + " tokens "
                        + "(the check builds the expected text of all of them: at 2e9 tokens, an OutOfMemoryError)")
                .isLessThan(1_000_000L);
    }
}
