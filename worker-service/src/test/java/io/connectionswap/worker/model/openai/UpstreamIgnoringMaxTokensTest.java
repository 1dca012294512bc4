package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * An upstream that ignores {@code max_tokens} (a proxy that drops the field, a server that does not honour it) goes on
 * generating past the budget. The worker dropped the extra tokens but ended the generation only when the upstream
 * ended (or its token timeout failed the leg), holding the client's END and the upstream's work for nothing. It now
 * ends the generation at the first token past the budget (END {@code length}), closes the upstream's stream, and
 * says once per upstream that it ignores {@code max_tokens}.
 */
class UpstreamIgnoringMaxTokensTest {

    /** The idle timeout a generation that waited for the upstream's end would run into. */
    private static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration WELL_WITHIN = Duration.ofSeconds(3);
    private static final String WARNING = "upstream ignores max_tokens";
    /** A prompt of three tokens for {@link ScriptedUpstream#wordTokenizer}. */
    private static final String THREE_WORDS = "Say three words";
    /** The end of an answer that honours max_tokens: its counts (1 prompt token, 2 generated), then [DONE]. */
    private static final String USAGE_AND_DONE =
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n"
            + "data: [DONE]\n\n";

    @AutoClose
    private OpenAiBackend backend;

    @Test
    void theGenerationEndsAtItsBudgetAndTheUpstreamsStreamIsClosed() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             CapturedLogs logs = CapturedLogs.of(OpenAiBackend.class.getPackageName())) {
            // asked for 2 tokens, it sends 4 and then goes on (a ping now and then stands for more tokens to come)
            upstream.completions(200, token(" a") + token(" b") + token(" c") + token(" d"))
                    .hangAfterBody(Duration.ofMillis(100));
            backend = OpenAiBackendTest.backend(upstream.baseUrl(), s -> new UpstreamSettings(s.baseUri(), s.model(),
                    s.apiKey(), s.connectTimeout(), s.firstTokenTimeout(), TOKEN_TIMEOUT, s.healthInterval(),
                    s.includeUsage(), s.threads(), s.chatFormat()));

            for (int generation = 1; generation <= 2; generation++) {
                RecordingSubscriber events = RecordingSubscriber.unbounded();
                long started = System.nanoTime();
                backend.generate(new GenerationContext("gen-" + generation, null, "p", null,
                        SamplingParameters.maxTokens(2), 0, "", null)).subscribe(events);
                events.awaitTerminal(TOKEN_TIMEOUT.plusSeconds(5));

                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to the END").isLessThan(WELL_WITHIN);
                assertThat(events.error()).isNull();
                assertThat(events.texts()).containsExactly(" a", " b");
                assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
                int closed = generation;
                await("the upstream sees its response closed").atMost(WELL_WITHIN)
                        .until(() -> upstream.abandoned() == closed);
            }
            List<ILoggingEvent> warnings = logs.events().stream()
                    .filter(event -> event.getFormattedMessage().contains(WARNING)).toList();
            assertThat(warnings).as("one WARN per upstream").singleElement().satisfies(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.WARN);
                assertThat(event.getFormattedMessage()).contains("upstream.url=" + upstream.baseUrl() + "/completions")
                        .contains("model=" + backend.settings().model());
            });
        }
    }

    /**
     * The upstream sends no usage once the worker ends the generation at its budget (its stream is closed before its
     * end), so the END had no counts: the gateway then reported no prompt tokens and the frames as completion tokens.
     * The END now has the whole generation's counts: the prompt's tokens from the upstream's tokenizer (as the upstream
     * counts them in its usage), and {@code max_tokens} as completion (the budget was spent: a frame holds a token at
     * least).
     */
    @Test
    void theEndAtTheBudgetHasThePromptsTokensFromTheTokenizerAndTheBudget() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream().wordTokenizer()) {
            upstream.completions(200, token(" a") + token(" b") + token(" c") + token(" d"))
                    .hangAfterBody(Duration.ofMillis(100));
            backend = OpenAiBackendTest.backend(upstream.baseUrl(), settings -> settings);
            RecordingSubscriber events = RecordingSubscriber.unbounded();

            backend.generate(new GenerationContext("gen-1", null, THREE_WORDS, null, SamplingParameters.maxTokens(2),
                    0, "", null)).subscribe(events);
            events.awaitTerminal(WELL_WITHIN);

            assertThat(events.error()).isNull();
            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(events.finished().usage()).as("3 prompt tokens (the tokenizer's), max_tokens generated")
                    .isEqualTo(new Usage(3, 2));
        }
    }

    /**
     * A resume ended at its budget: the tokenizer counted the prompt already (with the delivered text), so the END's
     * counts need no request of their own.
     */
    @Test
    void aResumeEndedAtItsBudgetCountsWithTheTokenizersAnswersOfItsStart() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream().wordTokenizer()) {
            upstream.completions(200, token(" a") + token(" b") + token(" c") + token(" d"))
                    .hangAfterBody(Duration.ofMillis(100));
            backend = OpenAiBackendTest.backend(upstream.baseUrl(), settings -> settings);
            RecordingSubscriber events = RecordingSubscriber.unbounded();

            // max_tokens 3, resumed after one token (" x"): 2 are left
            backend.generate(new GenerationContext("gen-1", null, THREE_WORDS, null, SamplingParameters.maxTokens(3),
                    1, " x", null)).subscribe(events);
            events.awaitTerminal(WELL_WITHIN);

            assertThat(events.error()).isNull();
            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.finished().usage()).as("the whole generation's counts").isEqualTo(new Usage(3, 3));
            assertThat(upstream.requests("/tokenize")).as("the tokenizer's requests: the resume's two").hasSize(2);
        }
    }

    /**
     * An upstream that honours {@code max_tokens} but sends an empty text after the last token and before its
     * finish reason and usage: no token past the budget (an empty text is no sign of one), so the generation ends at
     * the upstream's end, with its counts.
     */
    @Test
    void anEmptyTextAfterTheBudgetIsNoTokenPastIt() throws Exception {
        generateTwoFromAnUpstreamHonouringMaxTokens(token(" a") + token(" b") + token("")
                + "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}]}\n\n"
                + USAGE_AND_DONE);
    }

    /**
     * An upstream that honours {@code max_tokens} and ends at a stop sequence on its last token, then sends a text
     * after its finish reason (the stop sequence's text, as some servers do) before its usage: the upstream had ended,
     * so that text is no token past the budget; the generation ends with the upstream's finish reason and counts.
     */
    @Test
    void aTextAfterTheFinishReasonIsNoTokenPastTheBudget() throws Exception {
        RecordingSubscriber events = generateTwoFromAnUpstreamHonouringMaxTokens(token(" a")
                + "data: {\"choices\":[{\"index\":0,\"text\":\" b\",\"finish_reason\":\"stop\"}]}\n\n"
                + token("END")
                + USAGE_AND_DONE);

        assertThat(events.finished().reason()).as("the upstream's finish reason").isEqualTo(FinishReason.STOP);
    }

    /**
     * An upstream whose last chunk carries a text past the leg's budget together with its finish reason (a proxy that
     * streams one token's text in two slices, so the frames outrun the tokens; a server one token off): the upstream
     * ends there by itself, so nothing is gained by cutting it; that text is dropped as before and the generation ends
     * with the upstream's finish reason and counts, with no warning that it ignores max_tokens.
     */
    @Test
    void aTextPastTheBudgetInTheChunkOfTheFinishReasonEndsWithTheUpstreamsEnd() throws Exception {
        RecordingSubscriber events = generateTwoFromAnUpstreamHonouringMaxTokens(token(" a") + token(" b")
                + "data: {\"choices\":[{\"index\":0,\"text\":\"c\",\"finish_reason\":\"length\"}]}\n\n"
                + USAGE_AND_DONE);

        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
    }

    /**
     * Generates with {@code SamplingParameters.maxTokens(2)} from an upstream answering {@code answer}, which honours
     * max_tokens: the two texts " a" and " b", no error, the upstream's counts, and no warning that it ignores
     * max_tokens.
     */
    private RecordingSubscriber generateTwoFromAnUpstreamHonouringMaxTokens(String answer) throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             CapturedLogs logs = CapturedLogs.of(OpenAiBackend.class.getPackageName())) {
            upstream.completions(200, answer);
            backend = OpenAiBackendTest.backend(upstream.baseUrl(), settings -> settings);
            RecordingSubscriber events = RecordingSubscriber.unbounded();

            backend.generate(new GenerationContext("gen-1", null, "p", null, SamplingParameters.maxTokens(2), 0, "",
                    null)).subscribe(events);
            events.awaitTerminal(WELL_WITHIN);

            assertThat(events.error()).isNull();
            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.finished().usage()).as("the upstream's counts").isEqualTo(new Usage(1, 2));
            assertThat(logs.events()).noneMatch(event -> event.getFormattedMessage().contains(WARNING));
            return events;
        }
    }

    private static String token(String text) {
        return "data: {\"choices\":[{\"index\":0,\"text\":\"" + text + "\",\"finish_reason\":null}]}\n\n";
    }
}
