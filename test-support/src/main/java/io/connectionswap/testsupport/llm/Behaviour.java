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
 */
public record Behaviour(long ttftMillis, long gapMinMillis, long gapMaxMillis, boolean failWith5xx,
                        boolean rejectWith4xx, int cutAfterTokens) {

    public static final Behaviour DEFAULT = new Behaviour(0, 5, 5, false, false, 0);

    public Behaviour {
        if (ttftMillis < 0 || gapMinMillis < 0 || gapMaxMillis < gapMinMillis || cutAfterTokens < 0) {
            throw new IllegalArgumentException("behaviour: ttft " + ttftMillis + ", gaps " + gapMinMillis + ".."
                    + gapMaxMillis + ", cutAfter " + cutAfterTokens + " (expected: >= 0, min <= max)");
        }
    }
}
