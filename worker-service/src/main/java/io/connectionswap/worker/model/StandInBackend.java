package io.connectionswap.worker.model;

import io.connectionswap.protocol.log.LogLine;
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

    /**
     * Null when the delivered text is the stand-in's own text, else where it departs from it. Token by token, up to
     * the first that differs: the check costs what the delivered text holds, not what {@code resumeAfter} claims (a
     * client's GENERATE may claim two billion tokens with a text of one character).
     */
    static String checkResume(DeterministicTokenModel words, GenerationContext context) {
        String delivered = context.deliveredText();
        IntFunction<String> tokens = words.tokensOf(context.prompt());
        int last = context.resumeAfter();
        int at = 0; // the characters of the delivered text that are tokens 1..sequence - 1
        for (int sequence = 1; sequence <= last; sequence++) {
            String token = tokens.apply(sequence);
            if (delivered.startsWith(token, at)) {
                at += token.length();
                continue;
            }
            if (sequence == last && cutAtStop(tokens, context, token, delivered.length() - at)) {
                return null;
            }
            int same = 0;
            while (same < token.length() && at + same < delivered.length()
                    && token.charAt(same) == delivered.charAt(at + same)) {
                same++;
            }
            return mismatch(context, at + same, "token " + sequence + " is " + LogLine.printable(token, 40));
        }
        return at == delivered.length() ? null
                : mismatch(context, at, "the text goes on after token " + last + " (" + (delivered.length() - at)
                        + " characters more)");
    }

    private static String mismatch(GenerationContext context, int at, String detail) {
        return "delivered text of a resume after token " + context.resumeAfter() + " is not the stand-in's text: it "
                + "differs at character " + at + " (" + detail + "; got " + context.deliveredText().length()
                + " characters)";
    }

    /**
     * Whether the delivered text ends {@code kept} characters into the last token, {@code token}, where a stop sequence
     * begins: the generation ended there (the resume comes after its last token, before its end).
     */
    private static boolean cutAtStop(IntFunction<String> tokens, GenerationContext context, String token, int kept) {
        List<String> stops = context.sampling().stopSequences();
        String delivered = context.deliveredText();
        if (stops.isEmpty() || kept <= 0 || kept >= token.length()
                || !delivered.regionMatches(delivered.length() - kept, token, 0, kept)) {
            return false;
        }
        int longest = stops.stream().mapToInt(String::length).max().orElse(0);
        // every token has a character at least, so the text of the next `longest` tokens holds any stop begun here
        StringBuilder ahead = new StringBuilder(token.substring(kept));
        int last = context.resumeAfter();
        for (int sequence = last + 1; sequence <= Math.min((long) last + longest, context.sampling().maxTokens());
                sequence++) {
            ahead.append(tokens.apply(sequence));
        }
        return stops.stream().anyMatch(stop -> ahead.indexOf(stop) == 0);
    }
}
