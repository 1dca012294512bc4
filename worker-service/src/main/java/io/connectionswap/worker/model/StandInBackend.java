package io.connectionswap.worker.model;

import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.model.GenerationContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.IntFunction;

/**
 * The deterministic stand-in model ({@code CONNECTION_SWAP_MODEL_BACKEND=stand-in}, model name {@code stand-in}):
 * token {@code n} is {@link DeterministicTokenModel#token}, one every {@code CONNECTION_SWAP_TOKEN_INTERVAL}. On a
 * resume it checks that the delivered text is exactly its own tokens {@code 1..resumeAfter} (the last one cut where a
 * stop sequence begins, when the generation ended there): a mismatch means a token was lost, repeated or altered
 * somewhere in the chain, and ends the generation with RESUME_MISMATCH.
 */
public final class StandInBackend {

    public static final String NAME = "stand-in";

    private StandInBackend() {
    }

    public static PacedBackend create(Duration tokenInterval, ScheduledExecutorService scheduler) {
        DeterministicTokenModel words = new DeterministicTokenModel();
        PacedBackend.TokenText text = new PacedBackend.TokenText() {
            @Override
            public String token(String prompt, int sequence) {
                return words.token(prompt, sequence);
            }

            @Override
            public IntFunction<String> forPrompt(String prompt) {
                return words.tokensOf(prompt); // the prompt hashed once per generation
            }
        };
        return new PacedBackend(NAME, List.of(DeterministicTokenModel.MODEL_NAME), tokenInterval, scheduler, text,
                context -> checkResume(words, context));
    }

    /** Null when the delivered text is the stand-in's own text, else where it departs from it. */
    static String checkResume(DeterministicTokenModel words, GenerationContext context) {
        String expected = words.text(context.prompt(), 1, context.resumeAfter());
        String delivered = context.deliveredText();
        if (expected.equals(delivered) || cutAtStop(words, context, expected)) {
            return null;
        }
        int at = 0;
        while (at < expected.length() && at < delivered.length() && expected.charAt(at) == delivered.charAt(at)) {
            at++;
        }
        return "delivered text of a resume after token " + context.resumeAfter() + " is not the stand-in's text: it "
                + "differs at character " + at + " (expected " + expected.length() + " characters, got "
                + delivered.length() + ")";
    }

    /**
     * Whether the delivered text is the stand-in's {@code expected} text with its last token cut where a stop sequence
     * begins: the generation ended there (the resume comes after its last token, before its end).
     */
    private static boolean cutAtStop(DeterministicTokenModel words, GenerationContext context, String expected) {
        String delivered = context.deliveredText();
        List<String> stops = context.sampling().stopSequences();
        int last = context.resumeAfter();
        if (stops.isEmpty() || last == 0 || !expected.startsWith(delivered)
                || delivered.length() <= expected.length() - words.token(context.prompt(), last).length()) {
            return false;
        }
        int longest = stops.stream().mapToInt(String::length).max().orElse(0);
        // every token has a character at least, so the text of the next `longest` tokens holds any stop begun here
        String ahead = expected + words.text(context.prompt(), last + 1,
                Math.min(last + longest, context.sampling().maxTokens()));
        return stops.stream().anyMatch(stop -> ahead.startsWith(stop, delivered.length()));
    }
}
