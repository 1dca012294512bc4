package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import io.connectionswap.worker.model.RecordingSubscriber;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A {@code /v1/completions} endpoint that answers in the chat shape ({@code choices[0].delta.content} instead of
 * {@code choices[0].text}): a router or gateway that maps both paths to chat completions. The worker found no text in
 * any chunk and ended the generation at the finish reason: an empty answer, reported complete. Such an answer is one
 * the worker cannot read: the leg fails with UPSTREAM_FAILED, saying what it expected and what it saw.
 */
class ChatShapedCompletionAnswerTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @AutoClose
    private OpenAiBackend backend;

    @Test
    void aCompletionAnsweredInTheChatShapeFailsTheLegInsteadOfEndingEmpty() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream()) {
            upstream.completions(200, """
                    data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

                    data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" a"},"finish_reason":null}]}

                    data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" b"},"finish_reason":"length"}]}

                    data: [DONE]

                    """);
            RecordingSubscriber events = generateTwoFrom(upstream);

            assertThat(events.texts()).isEmpty();
            assertThat(events.error()).as("events: " + events.events()).isInstanceOfSatisfying(ModelException.class,
                    error -> {
                        assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_FAILED);
                        assertThat(error.getMessage()).contains("choices[0].delta").contains("choices[0].text");
                    });
        }
    }

    /**
     * A {@code /completions} answer whose last chunk carries the finish reason with an empty {@code delta} and no
     * {@code text} (a server that fills both shapes' fields, and has no text left for the end) is no chat answer: it
     * has no chat text ({@code delta.content}); the generation ends there, with the upstream's counts.
     */
    @Test
    void anEmptyDeltaWithTheFinishReasonEndsTheGeneration() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream()) {
            upstream.completions(200, """
                    data: {"choices":[{"index":0,"text":" a","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":" b","finish_reason":null}]}

                    data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}

                    data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}

                    data: [DONE]

                    """);
            RecordingSubscriber events = generateTwoFrom(upstream);

            assertThat(events.error()).as("events: " + events.events()).isNull();
            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(events.finished().usage()).isEqualTo(new Usage(1, 2));
        }
    }

    /**
     * A {@code /completions} answer whose chunks carry an empty {@code delta} beside their {@code text} (a server
     * that fills both shapes' fields) is no chat answer: its text is where the worker reads it.
     */
    @Test
    void aTextBesideAnEmptyDeltaIsACompletionsChunk() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream()) {
            upstream.completions(200, """
                    data: {"choices":[{"index":0,"text":" a","delta":{},"finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":" b","delta":{},"finish_reason":"length"}]}

                    data: [DONE]

                    """);
            RecordingSubscriber events = generateTwoFrom(upstream);

            assertThat(events.error()).as("events: " + events.events()).isNull();
            assertThat(events.texts()).containsExactly(" a", " b");
            assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    /** A generation of at most two tokens from {@code upstream}, to its end. */
    private RecordingSubscriber generateTwoFrom(ScriptedUpstream upstream) throws Exception {
        backend = OpenAiBackendTest.backend(upstream.baseUrl(), settings -> settings);
        RecordingSubscriber events = RecordingSubscriber.unbounded();
        backend.generate(new GenerationContext("gen-1", null, "p", null, SamplingParameters.maxTokens(2), 0, "",
                null)).subscribe(events);
        events.awaitTerminal(DEADLINE);
        return events;
    }
}
