package io.connectionswap.director.relay;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Generations waiting for a token, each with the time it started waiting. The relay keeps two: generations whose
 * worker failed, since the failure was detected (the start of {@code connection_swap_gap_seconds}), and new
 * generations, since their GENERATE (the start of {@code connection_swap_time_to_first_token_seconds}, which goes on
 * across a swap before the first token). Entries that never get a token here (the client gave up, or resumed at
 * another director) expire. Routing loop only.
 */
final class PendingFirstTokens {

    private static final int MAX_ENTRIES = 100_000;

    private final long expiryNanos;
    private final Map<String, Long> detectedAt = new LinkedHashMap<>();

    PendingFirstTokens(long expiryNanos) {
        this.expiryNanos = expiryNanos;
    }

    /**
     * {@code generationId} waits for a token from {@code nanos} on, unless it waits already: a second failure before
     * the first token after the first one (the resume's worker failing during its hand-off) lengthens the pause the
     * first began, it does not start another.
     */
    void waitingSince(String generationId, long nanos) {
        if (detectedAt.putIfAbsent(generationId, nanos) == null && detectedAt.size() > MAX_ENTRIES) {
            Iterator<String> oldest = detectedAt.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    /** Returns the nanos it waited and forgets it, or -1 when it was not waiting. */
    long firstTokenArrived(String generationId, long nowNanos) {
        Long detected = detectedAt.remove(generationId);
        return detected == null ? -1 : nowNanos - detected;
    }

    void forget(String generationId) {
        detectedAt.remove(generationId);
    }

    void expire(long nowNanos) {
        Iterator<Long> entries = detectedAt.values().iterator();
        while (entries.hasNext() && nowNanos - entries.next() > expiryNanos) {
            entries.remove();
        }
    }
}
