package io.connectionswap.testsupport.llm;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The "model" of {@link GreedyLlmServer}: like a greedy language model, its next token depends on the WHOLE text so
 * far (prompt and everything generated), not on a position. So a continuation that loses, repeats or alters a
 * single character of the prefix goes on differently from there, and a test comparing texts sees it.
 */
public final class GreedyLlm {

    private static final List<String> WORDS = List.of(
            " the", " model", " keeps", " writing", " while", " every", " worker", " may", " fail", " at", " any",
            " moment", " and", " the", " stream", " goes", " on", " from", " exactly", " the", " same", " text",
            " because", " each", " word", " follows", " from", " all", " words", " before", " it", ",", ".", " so",
            " nothing", " lost", " or", " repeated", " can", " hide", " here", " again", " still", " today");

    private GreedyLlm() {
    }

    /** The next token after {@code text}: a function of every character of it. */
    public static String next(String text) {
        return WORDS.get((int) Math.floorMod(key(text), (long) WORDS.size()));
    }

    /**
     * The 64-bit hash of {@code text} that chooses its next token. Two texts that differ anywhere almost surely have
     * different keys, so the key names "the token after exactly this text" (the benchmark matches emits to receives
     * with it, across a resume too, since a resumed upstream sees the same text).
     */
    public static long key(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash ^ (hash >>> 29);
    }

    /** What the model generates for {@code prompt} in {@code maxTokens} tokens, with no interruption. */
    public static String complete(String prompt, int maxTokens) {
        StringBuilder text = new StringBuilder(prompt);
        for (int i = 0; i < maxTokens; i++) {
            text.append(next(text.toString()));
        }
        return text.substring(prompt.length());
    }
}
