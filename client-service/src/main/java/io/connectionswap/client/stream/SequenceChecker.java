package io.connectionswap.client.stream;

/**
 * Checks that tokens arrive as 1, 2, 3, ... with nothing missing and nothing repeated, across swaps.
 */
final class SequenceChecker {

    enum Verdict { IN_ORDER, GAP, DUPLICATE }

    private int last;

    SequenceChecker(int last) {
        this.last = last;
    }

    int last() {
        return last;
    }

    /** Judges {@code sequence}; a gap moves the expectation past it so one loss is counted once. */
    Verdict accept(int sequence) {
        if (sequence == last + 1) {
            last = sequence;
            return Verdict.IN_ORDER;
        }
        if (sequence <= last) {
            return Verdict.DUPLICATE;
        }
        last = sequence;
        return Verdict.GAP;
    }
}
