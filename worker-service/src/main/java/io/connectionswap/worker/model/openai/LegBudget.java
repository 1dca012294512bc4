package io.connectionswap.worker.model.openai;

/**
 * The tokens one leg may generate and those it has sent: the request's budget less the delivered text's tokens
 * ({@link DeliveredTokens}). A chunk's text is one token unless the budget is spent (an empty text, or a text with or
 * after the upstream's finish reason, is dropped there) or it is nothing but a character's front half
 * ({@link SplitCharacters}); a text past the budget before the upstream's finish reason shows an upstream that ignores
 * {@code max_tokens}. Not thread-safe: one leg's serial executor.
 */
final class LegBudget {

    private final SplitCharacters splitCharacters = new SplitCharacters();
    /** The tokens this leg may generate. */
    private int remaining;
    private int produced;

    /** The leg may generate {@code tokens}. */
    void allow(int tokens) {
        remaining = tokens;
    }

    int remaining() {
        return remaining;
    }

    /** The tokens sent so far. */
    int produced() {
        return produced;
    }

    /** Whether the leg has sent all the tokens it may (or may send none). */
    boolean spent() {
        return produced >= remaining;
    }

    /**
     * Whether {@code chunk} carries a text past the budget while the upstream has not finished
     * ({@code upstreamFinished}: its finish reason came): the upstream honoured {@code max_tokens} if it stopped
     * before; it goes on instead. A text with or after its finish reason is no sign of that: it ends there by itself.
     */
    boolean pastBudget(CompletionChunk chunk, boolean upstreamFinished) {
        return chunk.isToken() && !chunk.text().isEmpty() && spent() && chunk.finishReason() == null
                && !upstreamFinished;
    }

    /**
     * The text to send for {@code text} as the leg's next token, counted; or null, nothing to send: past the budget, or
     * only a character's front half (no token of its own: it goes out whole with the next text).
     */
    String token(String text) {
        if (spent()) {
            return null;
        }
        String whole = splitCharacters.whole(text);
        if (whole.isEmpty() && !text.isEmpty()) {
            return null;
        }
        produced++;
        return whole;
    }
}
