package io.connectionswap.worker.model.openai;

import static io.connectionswap.worker.model.openai.ScriptedUpstream.words;
import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.worker.model.RecordingSubscriber;
import io.connectionswap.worker.model.openai.ScriptedUpstream.Answer;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * vLLM with speculative decoding (or {@code --stream-interval} above 1) streams several tokens in one chunk: one
 * chunk per engine step. The worker makes each chunk one TOKEN frame and on a resume sent
 * {@code max_tokens = maxTokens - resumeAfter}, counting frames as model tokens. With two tokens a chunk, a generation
 * of {@code max_tokens} 6 resumed after two chunks (four tokens) asked the upstream for 4 more tokens instead of 2: the
 * client got 8 tokens' text, longer than it asked for and than the unbroken generation. The worker now counts the
 * delivered text's tokens with the upstream's tokenizer ({@link DeliveredTokens}).
 *
 * <p>The upstream here is such a server, greedy: its tokens after the prompt are " w1", " w2", ... (a token per
 * word, counted from the text it is given), two to a chunk; it serves vLLM's {@code POST /tokenize} too.
 */
class MultiTokenChunksResumeBudgetTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final String PROMPT = "Count:";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OpenAiBackend backend;
    private ScriptedUpstream upstream;

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aResumeAsksOnlyForTheTokensLeftWhenAChunkHoldsSeveral() throws Exception {
        backend = OpenAiBackendTest.backend(upstreamUrl(), settings -> settings);
        SamplingParameters sampling = SamplingParameters.maxTokens(6);

        RecordingSubscriber unbroken = run(new GenerationContext("gen-1", null, PROMPT, null, sampling, 0, "", null));
        assertThat(unbroken.error()).isNull();
        assertThat(unbroken.texts()).containsExactly(" w1 w2", " w3 w4", " w5 w6");
        assertThat(unbroken.finished().reason()).isEqualTo(FinishReason.LENGTH);

        // the worker failed after the second chunk (TOKEN 2): the client resumes after 2 with the text of 4 tokens
        String delivered = unbroken.texts().get(0) + unbroken.texts().get(1);
        RecordingSubscriber resumed = run(new GenerationContext("gen-1", null, PROMPT, null, sampling, 2, delivered,
                null));

        assertThat(resumed.error()).isNull();
        assertThat(delivered + resumed.text()).as("the resumed generation reads like the unbroken one (6 tokens)")
                .isEqualTo(unbroken.text());
        assertThat(resumed.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(resumed.finished().usage()).as("the whole generation's counts: 1 prompt token, 6 generated")
                .satisfies(usage -> {
                    assertThat(usage.promptTokens()).isEqualTo(1);
                    assertThat(usage.completionTokens()).isEqualTo(6);
                });
    }

    /**
     * A resume after the generation's last token (the worker failed between it and END) asks the upstream for nothing,
     * so no usage chunk came: the END had no counts, though the unbroken generation's END had them (the gateway then
     * reports no prompt tokens, and the frames as completion tokens: 3 here, for 6 tokens). The counts now come from
     * the tokenizer the resume asks anyway: the prompt's tokens, and the delivered text's as completion.
     */
    @Test
    void aResumeAfterTheLastTokenReportsTheWholeGenerationsCounts() throws Exception {
        backend = OpenAiBackendTest.backend(upstreamUrl(), settings -> settings);
        SamplingParameters sampling = SamplingParameters.maxTokens(6);
        String all = " w1 w2 w3 w4 w5 w6";

        // all three chunks delivered (6 tokens in 3 frames), and 6 frames of single tokens: nothing is left either way
        for (int frames : new int[] {3, 6}) {
            RecordingSubscriber resumed = run(new GenerationContext("gen-1", null, PROMPT, null, sampling, frames, all,
                    null));

            assertThat(resumed.error()).isNull();
            assertThat(resumed.texts()).isEmpty();
            assertThat(resumed.finished().reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(resumed.finished().usage()).as("after %s frames: the whole generation's counts", frames)
                    .isEqualTo(new Usage(1, 6));
        }
    }

    /**
     * A resume whose frames already reached {@code max_tokens} delivered every token allowed (a frame holds at least
     * one): only the prompt's tokens are left to count, so the tokenizer is asked once, not once more for the prompt
     * and the delivered text (a second request of the prompt's length for a count known already).
     */
    @Test
    void aResumeWhoseFramesReachedTheBudgetCountsOnlyThePrompt() throws Exception {
        backend = OpenAiBackendTest.backend(upstreamUrl(), settings -> settings);

        RecordingSubscriber resumed = run(new GenerationContext("gen-1", null, PROMPT, null,
                SamplingParameters.maxTokens(6), 6, " w1 w2 w3 w4 w5 w6", null));

        assertThat(resumed.error()).isNull();
        assertThat(resumed.finished().usage()).isEqualTo(new Usage(1, 6));
        assertThat(upstream.requests("/tokenize")).as("the tokenizer's requests").singleElement()
                .satisfies(request -> assertThat(JSON.readTree(request.body()).path("prompt").asString())
                        .isEqualTo(PROMPT));
    }

    private RecordingSubscriber run(GenerationContext context) {
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context).subscribe(events);
        return events.awaitTerminal(DEADLINE);
    }

    private String upstreamUrl() throws IOException {
        upstream = new ScriptedUpstream().wordTokenizer();
        upstream.answering("/v1/completions", request -> {
            JsonNode body = JSON.readTree(request.body());
            String prompt = body.path("prompt").asString();
            int maxTokens = body.path("max_tokens").asInt();
            int already = words(prompt.substring(PROMPT.length())); // words after the prompt: the delivered text
            StringBuilder out = new StringBuilder();
            int produced = 0;
            while (produced < maxTokens) {
                StringBuilder text = new StringBuilder();
                for (int step = 0; step < 2 && produced < maxTokens; step++) {
                    produced++;
                    text.append(" w").append(already + produced);
                }
                String finish = produced == maxTokens ? "\"length\"" : "null";
                out.append("data: {\"choices\":[{\"index\":0,\"text\":\"").append(text).append("\",\"finish_reason\":")
                        .append(finish).append("}]}\n\n");
            }
            int promptTokens = words(prompt);
            out.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":").append(promptTokens)
                    .append(",\"completion_tokens\":").append(produced).append(",\"total_tokens\":")
                    .append(promptTokens + produced).append("}}\n\ndata: [DONE]\n\n");
            return new Answer(200, "text/event-stream", out.toString());
        });
        return upstream.baseUrl();
    }
}
