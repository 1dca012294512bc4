package io.connectionswap.testsupport.llm;

/**
 * How {@link GreedyLlmServer} behaves now; tests change it at run time with {@code POST /admin/behaviour}.
 *
 * @param ttftMillis       time before the first token of a streamed completion
 * @param gapMinMillis     shortest pause between two tokens
 * @param gapMaxMillis     longest pause between two tokens (each gap is drawn uniformly in between)
 * @param failWith5xx      answer every completion with HTTP 503
 * @param rejectWith4xx    answer every completion with HTTP 400
 * @param cutAfterTokens   when above 0, a streamed completion's connection is cut after this many tokens
 * @param hugeChunkAfterTokens when above 0, a streamed completion sends one chunk of {@link #HUGE_CHUNK_CHARS}
 *                         characters after this many tokens (a server that sends a whole answer at once)
 */
public record Behaviour(long ttftMillis, long gapMinMillis, long gapMaxMillis, boolean failWith5xx,
                        boolean rejectWith4xx, int cutAfterTokens, int hugeChunkAfterTokens) {

    public static final Behaviour DEFAULT = new Behaviour(0, 5, 5, false, false, 0);
    /** The text of the huge chunk: more than one TOKEN frame carries. */
    public static final int HUGE_CHUNK_CHARS = 100_000;

    public Behaviour {
        if (ttftMillis < 0 || gapMinMillis < 0 || gapMaxMillis < gapMinMillis || cutAfterTokens < 0
                || hugeChunkAfterTokens < 0) {
            throw new IllegalArgumentException("behaviour: ttft " + ttftMillis + ", gaps " + gapMinMillis + ".."
                    + gapMaxMillis + ", cutAfter " + cutAfterTokens + ", hugeChunkAfter " + hugeChunkAfterTokens
                    + " (expected: >= 0, min <= max)");
        }
    }

    /** No huge chunk. */
    public Behaviour(long ttftMillis, long gapMinMillis, long gapMaxMillis, boolean failWith5xx, boolean rejectWith4xx,
                     int cutAfterTokens) {
        this(ttftMillis, gapMinMillis, gapMaxMillis, failWith5xx, rejectWith4xx, cutAfterTokens, 0);
    }
}
