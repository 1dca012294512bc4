package io.connectionswap.director.relay;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Generations whose worker failed and that have not yet received a token from the next worker, with the time the
 * failure was detected: the start of {@code swap_gap_seconds}. Entries a client never resumes here (it gave up, or
 * resumed at another director) expire. Routing loop only.
 */
final class PendingSwaps {

    private static final int MAX_ENTRIES = 100_000;

    private final long expiryNanos;
    private final Map<String, Long> detectedAt = new LinkedHashMap<>();

    PendingSwaps(long expiryNanos) {
        this.expiryNanos = expiryNanos;
    }

    void detected(String generationId, long nanos) {
        detectedAt.remove(generationId);
        detectedAt.put(generationId, nanos);
        if (detectedAt.size() > MAX_ENTRIES) {
            Iterator<String> oldest = detectedAt.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    /** Returns the nanos since the failure was detected and forgets it, or -1 when none is pending. */
    long firstTokenArrived(String generationId, long nowNanos) {
        Long detected = detectedAt.remove(generationId);
        return detected == null ? -1 : nowNanos - detected;
    }

    void expire(long nowNanos) {
        Iterator<Long> entries = detectedAt.values().iterator();
        while (entries.hasNext() && nowNanos - entries.next() > expiryNanos) {
            entries.remove();
        }
    }
}
