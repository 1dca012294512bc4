package io.connectionswap.worker.model.openai;

/**
 * Joins the two UTF-16 halves of a character outside the BMP (an emoji) that an upstream split between two chunks, as
 * a proxy streaming slices of a string does ({@code "\ud83d"}, then {@code "\ude00"}): each chunk's text becomes one
 * TOKEN frame, whose text is UTF-8, where a lone half has no form (it was written as '?'). A trailing high surrogate is
 * held back and put in front of the next text; the token still goes out, one character shorter, unless it was nothing
 * but that half: such a slice is no token of the upstream's (the next slice completes the same character), so it goes
 * out as nothing and is not counted against the leg's budget ({@link LegBudget#token}). Not thread-safe:
 * one leg's serial executor.
 */
final class SplitCharacters {

    private char held;

    /** {@code text} with a half held back from the previous text in front, and its own trailing high half held back. */
    String whole(String text) {
        String joined = held == 0 ? text : held + text;
        held = 0;
        int last = joined.length() - 1;
        if (last >= 0 && Character.isHighSurrogate(joined.charAt(last))) {
            held = joined.charAt(last);
            return joined.substring(0, last);
        }
        return joined;
    }
}
