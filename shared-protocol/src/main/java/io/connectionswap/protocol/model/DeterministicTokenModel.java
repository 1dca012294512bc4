package io.connectionswap.protocol.model;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The text of the stand-in model: token {@code n} is a word picked by a hash of (prompt, n). Cheap, pure and
 * identical on every worker, which is exactly what a swap test needs: a client (or a test) can compute the text an
 * unbroken generation gives, and a worker can check the delivered text of a resume against it. The worker's
 * stand-in backend paces these tokens at {@code CONNECTION_SWAP_TOKEN_INTERVAL}.
 */
public final class DeterministicTokenModel {

    private static final List<String> WORDS = List.of(
            "the", "stream", "keeps", "flowing", "across", "every", "worker", "swap", "without", "losing",
            "a", "single", "token", "over", "one", "quic", "connection", "while", "the", "director",
            "moves", "it", "to", "the", "next", "healthy", "back", "end", "and", "nothing", "repeats", "twice",
            "latency", "stays", "low", "because", "frames", "are", "relayed", "as", "they", "arrive", "from",
            "each", "generation", "resumes", "exactly", "where", "it", "stopped", "sequence", "numbers", "prove",
            "order", "gaps", "duplicates", "never", "happen", "here", "today", "again", "still", "alive");

    /** Every word with the space that separates it from the previous token: no string is built per token. */
    private static final List<String> SPACED = WORDS.stream().map(word -> " " + word).toList();

    /** The model name clients ask for. */
    public static final String MODEL_NAME = "stand-in";

    public String token(String prompt, int sequence) {
        return token(fnv1a(prompt), sequence);
    }

    /**
     * The tokens of the generation for {@code prompt}, by sequence number: the prompt is hashed once here, not per
     * token (a prompt of megabytes would cost milliseconds a token).
     */
    public IntFunction<String> tokensOf(String prompt) {
        int promptHash = fnv1a(prompt);
        return sequence -> token(promptHash, sequence);
    }

    /** The text of tokens {@code from..to} (inclusive) concatenated: what a client should have received. */
    public String text(String prompt, int from, int to) {
        int promptHash = fnv1a(prompt);
        StringBuilder text = new StringBuilder();
        for (int sequence = from; sequence <= to; sequence++) {
            text.append(token(promptHash, sequence));
        }
        return text.toString();
    }

    private static String token(int promptHash, int sequence) {
        if (sequence <= 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: > 0)");
        }
        int hash = promptHash * 31 + sequence;
        hash ^= hash >>> 16;
        hash *= 0x7feb352d;
        hash ^= hash >>> 15;
        int index = Math.floorMod(hash, WORDS.size());
        return sequence == 1 ? WORDS.get(index) : SPACED.get(index);
    }

    /** FNV-1a over the prompt's UTF-8 bytes; ASCII prompts (the usual case) are hashed without an allocation. */
    private static int fnv1a(String text) {
        int hash = 0x811c9dc5;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return fnv1aBytes(text);
            }
            hash ^= c;
            hash *= 0x01000193;
        }
        return hash;
    }

    private static int fnv1aBytes(String text) {
        int hash = 0x811c9dc5;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x01000193;
        }
        return hash;
    }
}
