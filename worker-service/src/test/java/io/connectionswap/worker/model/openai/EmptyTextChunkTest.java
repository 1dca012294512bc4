package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * vLLM streams a chunk with an empty {@code text} for a token that is only the first bytes of a multi-byte character
 * (its detokenizer holds them back until the next token completes the character). Unlike a proxy's slice that is only
 * half of a UTF-16 pair ({@link SurrogatePairSplitAcrossChunksTest}), that chunk is one of the upstream's tokens: it
 * counted it against {@code max_tokens} and in its usage. So it stays one TOKEN frame, empty (an empty chunk, as a
 * client of vLLM itself sees it), and the frames a client counts stay the tokens generated: a resume with no
 * tokenizer to ask (frames count as tokens) asks for exactly the tokens left.
 */
class EmptyTextChunkTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @AutoClose
    private OpenAiBackend backend;

    @Test
    void anEmptyTextChunkIsOneTokenOfItsOwnSoFramesCountTheUpstreamsTokens() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream()) { // no /tokenize: a resume counts frames
            upstream.completions(200, """
                    data: {"choices":[{"index":0,"text":" caf","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":"","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":"é","finish_reason":"length"}]}

                    data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":3}}

                    data: [DONE]

                    """);
            backend = OpenAiBackendTest.backend(upstream.baseUrl(), settings -> settings);
            SamplingParameters sampling = SamplingParameters.maxTokens(3);

            RecordingSubscriber unbroken = run(new GenerationContext("gen-1", null, "p", null, sampling, 0, "", null));

            assertThat(unbroken.error()).isNull();
            assertThat(unbroken.texts()).as("one event per upstream token, the empty one too")
                    .containsExactly(" caf", "", "é");
            assertThat(unbroken.finished().reason()).isEqualTo(FinishReason.LENGTH);

            // the worker failed after the empty token's frame (TOKEN 2): 2 frames delivered, the text " caf"
            run(new GenerationContext("gen-1", null, "p", null, sampling, 2, " caf", null));

            assertThat(upstream.requests("/v1/completions")).last().satisfies(request -> assertThat(
                    JSON.readTree(request.body()).path("max_tokens").asInt()).as("tokens left").isEqualTo(1));
        }
    }

    private RecordingSubscriber run(GenerationContext context) {
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(context).subscribe(events);
        return events.awaitTerminal(DEADLINE);
    }
}
