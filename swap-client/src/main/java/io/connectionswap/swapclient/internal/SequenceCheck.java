package io.connectionswap.swapclient.internal;

/**
 * Checks that tokens arrive as 1, 2, 3, ... across every stream of a generation. A duplicate is dropped; a gap is
 * not accepted (the expectation stays at the last good token), so the caller can resume right after it and the text
 * stays exact.
 */
public final class SequenceCheck {

    public enum Verdict { IN_ORDER, GAP, DUPLICATE }

    private int last;

    public int last() {
        return last;
    }

    public Verdict accept(int sequence) {
        if (sequence == last + 1) {
            last = sequence;
            return Verdict.IN_ORDER;
        }
        return sequence <= last ? Verdict.DUPLICATE : Verdict.GAP;
    }
}
