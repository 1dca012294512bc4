package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.worker.model.RecordingSubscriber;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * An upstream whose chunks split a character outside the BMP (an emoji: two UTF-16 units) between two chunks, as a
 * JavaScript proxy that streams a finished answer in slices of a string does ({@code JSON.stringify} writes the lone
 * halves as {@code \ud83d} and {@code \ude00}). Each chunk becomes one {@code ModelEvent.Text} and so one TOKEN frame,
 * whose text is UTF-8: a lone surrogate has no UTF-8 form and is written as '?' ({@code MessageCodec.encodeToken},
 * {@code ByteBufUtil.reserveAndWriteUtf8}). The client received "??" instead of the emoji, and a resume sent that
 * broken text back as delivered text, while {@code UpstreamCompletion.emitText} passed the chunk's text on as it was
 * ({@link SplitCharacters} now joins the halves).
 */
class SurrogatePairSplitAcrossChunksTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @AutoClose
    private OpenAiBackend backend;

    @Test
    void anEmojiSplitBetweenTwoChunksReachesTheClientWhole() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream()) {
            RecordingSubscriber events = generateTwoTokens(upstream, """
                    data: {"choices":[{"index":0,"text":"ok \\ud83d","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":"\\ude00!","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":"","finish_reason":"length"}]}

                    data: [DONE]

                    """);

            assertThat(events.error()).isNull();
            assertThat(events.texts()).as("one event per upstream token").hasSize(2);
            // what the client reads: each text through one TOKEN frame, as the worker sends it
            StringBuilder received = new StringBuilder();
            int sequence = 1;
            for (String text : events.texts()) {
                received.append(throughTokenFrame(sequence++, text));
            }
            assertThat(received.toString()).isEqualTo("ok \uD83D\uDE00!");
        }
    }

    /**
     * A slice that is nothing but the emoji's front half: the worker made it a TOKEN of its own (an empty text, the
     * half held back) and counted it against the leg's budget, though it is no token of the upstream's (the next
     * slice completes the same token's character). A generation of {@code max_tokens} 2, "😀" then " b", lost its last
     * token: the budget was spent on the empty frame and the emoji, and " b" was dropped as "more tokens than asked
     * for".
     */
    @Test
    void aSliceThatIsOnlyTheFrontHalfOfAnEmojiIsNoTokenOfItsOwn() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream()) {
            RecordingSubscriber events = generateTwoTokens(upstream, """
                    data: {"choices":[{"index":0,"text":"\\ud83d","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":"\\ude00","finish_reason":null}]}

                    data: {"choices":[{"index":0,"text":" b","finish_reason":"length"}]}

                    data: [DONE]

                    """);

            assertThat(events.error()).isNull();
            assertThat(events.texts()).as("one event per upstream token").containsExactly("\uD83D\uDE00", " b");
        }
    }

    private static String throughTokenFrame(int sequence, String text) {
        ByteBuf frame = MessageCodec.encodeToken(UnpooledByteBufAllocator.DEFAULT, sequence, text);
        try {
            frame.skipBytes(io.connectionswap.protocol.frame.Frames.HEADER_BYTES); // type and length
            int seq = frame.readInt();
            assertThat(seq).isEqualTo(sequence);
            return frame.toString(StandardCharsets.UTF_8);
        } finally {
            frame.release();
        }
    }

    /** A generation of {@code max_tokens} 2 from an upstream answering {@code events}, run to its end. */
    private RecordingSubscriber generateTwoTokens(ScriptedUpstream upstream, String events) throws Exception {
        backend = OpenAiBackendTest.backend(upstream.baseUrl(), settings -> settings);
        upstream.completions(200, events);
        RecordingSubscriber received = RecordingSubscriber.unbounded();
        backend.generate(new GenerationContext("gen-1", null, "p", null, SamplingParameters.maxTokens(2), 0, "",
                null)).subscribe(received);
        received.awaitTerminal(DEADLINE);
        return received;
    }
}
