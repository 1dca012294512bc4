package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * A generation ends when the upstream has said all there is to say (a {@code finish_reason}, and the usage chunk
 * when the worker asked for it), not when it sends {@code [DONE]} or closes the response: an upstream that hangs
 * after its final chunk costs neither the token timeout's stall nor a swap.
 */
class UpstreamCompletionEndTest {

    /** The idle timeout a hanging upstream would run into; every generation here must end well before it. */
    private static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration WELL_WITHIN = Duration.ofSeconds(3);
    private static final String TOKEN = "data: {\"model\":\"greedy-1\",\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\n";
    private static final String FINISH = "data: {\"model\":\"greedy-1\",\"choices\":[{\"text\":\" b\",\"finish_reason\":\"length\"}]}\n\n";
    private static final String USAGE = "data: {\"model\":\"greedy-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n";

    private final ScriptedUpstream scripted = newUpstream();
    private OpenAiBackend backend;

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        scripted.close();
    }

    @Test
    void theUsageChunkAfterTheFinishReasonEndsTheGenerationWithoutDone() {
        scripted.completions(200, TOKEN + FINISH + USAGE).hangAfterBody(null);
        backend = backend(true);

        RecordingSubscriber events = runWellWithinTheTimeout(context(0, ""));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(events.finished().usage()).isEqualTo(new Usage(5, 2));
    }

    @Test
    void aFinishReasonAndUsageInOneChunkEndTheGenerationAndTheHangingStreamIsClosed() {
        scripted.completions(200, TOKEN + "data: {\"choices\":[{\"text\":\" b\",\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n").hangAfterBody(Duration.ofMillis(100));
        backend = backend(true);

        RecordingSubscriber events = runWellWithinTheTimeout(context(0, ""));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
        assertThat(events.finished().usage()).isEqualTo(new Usage(5, 2));
        await("the worker lets the hanging response go").atMost(WELL_WITHIN).until(() -> scripted.abandoned() == 1);
    }

    @Test
    void withoutUsageAskedForTheFinishReasonEndsTheGeneration() {
        scripted.completions(200, TOKEN + FINISH).hangAfterBody(null);
        backend = backend(false);

        RecordingSubscriber events = runWellWithinTheTimeout(context(0, ""));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().usage()).isNull();
    }

    /** A resumed leg ends alike, its usage counting the delivered tokens as completion. */
    @Test
    void aResumedLegEndsAtItsFinalChunkToo() {
        scripted.completions(200, TOKEN + FINISH + USAGE).hangAfterBody(null);
        backend = backend(true);

        RecordingSubscriber events = runWellWithinTheTimeout(context(3, " one two three"));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().usage()).isEqualTo(new Usage(2, 5));
    }

    /** Asked for usage, a finish_reason alone is not the end: the usage chunk is still to come, for a while. */
    @Test
    void aFinishReasonWithoutTheUsageAskedForWaitsForTheUsage() {
        scripted.completions(200, TOKEN + FINISH).hangAfterBody(null);
        backend = backend(true);
        RecordingSubscriber events = RecordingSubscriber.unbounded();

        backend.generate(context(0, "")).subscribe(events);

        await().atMost(WELL_WITHIN).until(() -> events.texts().size() == 2);
        Holds.throughout(Duration.ofMillis(500), () -> "events: " + events.events(),
                () -> events.texts().size() == 2 && !events.terminated());
    }

    /**
     * An upstream that ignores include_usage and then neither sends [DONE] nor closes: after the usage's grace the
     * generation ends, complete and without counts, instead of failing at the token timeout.
     */
    @Test
    void anUpstreamThatNeverSendsTheUsageAskedForEndsAfterTheGraceWithoutCounts() {
        scripted.completions(200, TOKEN + FINISH).hangAfterBody(null);
        backend = backend(true);

        // the grace (1 s) plus up to one check period (1 s with these timeouts), with room for a busy machine
        RecordingSubscriber events = runWithin(context(0, ""), Duration.ofSeconds(6));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(events.finished().usage()).isNull();
    }

    /**
     * The usage's grace counted from the finish reason, while the worker read nothing: a stream whose reader had no
     * demand for a while after the finish reason (a slow director) was ended without counts as soon as it asked for
     * the next line, though the upstream sent the usage well within a second of that. The grace now counts while
     * the worker waits for the line, as README says of an upstream that "sends no usage chunk within 1 s".
     */
    @Test
    void theUsageGraceCountsOnlyWhileTheWorkerWaitsForTheUsage() {
        scripted.completions(200, TOKEN + FINISH).thenAfter(Duration.ofMillis(2000), USAGE + "data: [DONE]\n\n");
        // a first-token timeout of 400 ms checks every 100 ms: the old grace would end the leg at once on the ask
        backend = OpenAiBackendTest.backend(scripted.baseUrl(), s -> new UpstreamSettings(s.baseUri(), s.model(),
                s.apiKey(), s.connectTimeout(), Duration.ofMillis(400), TOKEN_TIMEOUT, s.healthInterval(), true,
                s.threads(), s.chatFormat()));
        RecordingSubscriber events = new RecordingSubscriber(2);
        backend.generate(context(0, "")).subscribe(events);
        await("the two tokens").atMost(WELL_WITHIN).until(() -> events.texts().size() == 2);
        Holds.throughout(Duration.ofMillis(1500), () -> "no end without demand; events: " + events.events(),
                () -> events.texts().size() == 2 && !events.terminated());

        events.request(1); // asks for the next line: the usage, written 2 s after the finish reason

        events.awaitTerminal(WELL_WITHIN);
        assertThat(events.error()).isNull();
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(events.finished().usage()).as("the usage sent within 1 s of the ask").isEqualTo(new Usage(5, 2));
    }

    /** A TOKEN_TIMEOUT shorter than the usage's grace does not turn the complete generation into a failure. */
    @Test
    void aTokenTimeoutShorterThanTheUsageGraceEndsTheGenerationToo() {
        scripted.completions(200, TOKEN + FINISH).hangAfterBody(null);
        backend = backend(true, Duration.ofMillis(200));

        RecordingSubscriber events = runWithin(context(0, ""), Duration.ofSeconds(6));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(events.finished().usage()).isNull();
    }

    /**
     * The upstream's final chunk (finish_reason stop) came, then its connection broke before the usage chunk and
     * [DONE] (the upstream died right after it, or an intermediary reset the connection): the generation is complete,
     * as README's "The end" says of a stream that ends after its finish_reason but before the usage, and the failures
     * table fails only a stream cut before [DONE]/finish_reason. It was failed (UPSTREAM_FAILED, "upstream stream
     * broke after 2 tokens"): the director moves a finished generation, and the resumed leg asks another upstream
     * to go on after the text's end (with sampling, text the unbroken generation never had).
     */
    @Test
    void aStreamThatBreaksAfterTheFinishReasonStillCompletes() {
        scripted.completions(200, TOKEN + "data: {\"model\":\"greedy-1\",\"choices\":[{\"text\":\" b\","
                + "\"finish_reason\":\"stop\"}]}\n\n").breakAfterBody();
        backend = backend(true);

        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context(0, "")).subscribe(events);
        events.awaitTerminal(TOKEN_TIMEOUT.plusSeconds(5));

        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.error()).as("a generation whose finish_reason came, its stream broken after it").isNull();
        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
        assertThat(events.finished().usage()).as("no usage chunk came").isNull();
    }

    /**
     * The final chunk was read, but the worker's reader (the director) had no demand for it yet when the connection
     * broke: the break is acted on only through the body's lines, after the lines read before it, never through the
     * exchange's own failure, so the final chunk is handed on when asked for and the generation completes.
     */
    @Test
    void aFinalChunkReadBeforeTheBreakIsNotLostToTheBreak() {
        scripted.completions(200, TOKEN + "data: {\"model\":\"greedy-1\",\"choices\":[{\"text\":\" b\","
                + "\"finish_reason\":\"stop\"}]}\n\n").breakAfterBody();
        backend = backend(true);
        RecordingSubscriber events = new RecordingSubscriber(1);
        backend.generate(context(0, "")).subscribe(events);
        await("the first token").atMost(WELL_WITHIN).until(() -> events.texts().size() == 1);
        Holds.throughout(Duration.ofMillis(500), () -> "the break, with no demand for the final chunk: no end; "
                + "events: " + events.events(), () -> events.texts().size() == 1 && !events.terminated());

        events.request(2);

        events.awaitTerminal(WELL_WITHIN);
        assertThat(events.error()).isNull();
        assertThat(events.texts()).containsExactly(" a", " b");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.STOP);
    }

    /**
     * A body that ended with {@code [DONE]} and no blank line after it (the leg ends as the body does) left the drain's
     * deadline on the timer after the leg's end: it fired a second later and found nothing to do. The timer the leg
     * uses held no task once the leg ended.
     */
    @Test
    void aBodyThatEndsWithDoneAndNoBlankLineLeavesNoDrainDeadlineOnTheTimer() {
        scripted.completions(200, TOKEN + FINISH + "data: [DONE]\n");
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
        timer.setRemoveOnCancelPolicy(true); // as the backend's
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            UpstreamSettings settings = OpenAiBackendTest.backendSettings(scripted.baseUrl());
            Upstream upstream = new Upstream(settings, HttpClient.newBuilder().executor(executor).build(),
                    JsonMapper.builder().build(), executor, timer, () -> { }, new UpstreamBackOff(settings.completionsUri()),
                    new AnsweringModels(settings.completionsUri()), new DeliveredTokens(settings.tokenizeUri()),
                    new IgnoredMaxTokens(settings.completionsUri(), settings.model()));
            RecordingSubscriber events = RecordingSubscriber.unbounded();
            UpstreamCompletion completion = new UpstreamCompletion(upstream, context(0, ""), events);
            events.onSubscribe(completion);
            completion.start();

            events.awaitTerminal(WELL_WITHIN);

            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.completed()).isTrue();
            assertThat(timer.getQueue()).as("tasks left on the timer after the leg's end").isEmpty();
        } finally {
            timer.shutdownNow();
            executor.shutdownNow();
        }
    }

    private RecordingSubscriber runWellWithinTheTimeout(GenerationContext context) {
        return runWithin(context, WELL_WITHIN);
    }

    private RecordingSubscriber runWithin(GenerationContext context, Duration bound) {
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        long started = System.nanoTime();
        backend.generate(context).subscribe(events);
        events.awaitTerminal(TOKEN_TIMEOUT.plusSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to the end").isLessThan(bound);
        assertThat(events.error()).isNull();
        assertThat(events.completed()).isTrue();
        return events;
    }

    private OpenAiBackend backend(boolean includeUsage) {
        return backend(includeUsage, TOKEN_TIMEOUT);
    }

    private OpenAiBackend backend(boolean includeUsage, Duration tokenTimeout) {
        return OpenAiBackendTest.backend(scripted.baseUrl(), s -> new UpstreamSettings(s.baseUri(), s.model(),
                s.apiKey(), s.connectTimeout(), s.firstTokenTimeout(), tokenTimeout, s.healthInterval(), includeUsage,
                s.threads(), s.chatFormat()));
    }

    private static GenerationContext context(int resumeAfter, String delivered) {
        return new GenerationContext("gen-end", null, "p", null, SamplingParameters.maxTokens(resumeAfter + 5),
                resumeAfter, delivered, null);
    }

    private static ScriptedUpstream newUpstream() {
        try {
            return new ScriptedUpstream();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
