package io.connectionswap.director.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a tag's distinct values bounded: the first {@code max} values seen are used as they are, later ones become
 * {@code other}. Worker labels come from registrations (and DNS-discovered workers are labelled by address), so
 * without a bound a churning fleet would grow the series without end.
 */
final class BoundedTagValues {

    static final String OTHER = "other";

    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedTagValues(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
    }

    String of(String value) {
        if (value == null || value.isEmpty()) {
            return "unknown";
        }
        if (seen.contains(value)) {
            return value;
        }
        synchronized (seen) {
            if (seen.size() < max) {
                seen.add(value);
                return value;
            }
        }
        return seen.contains(value) ? value : OTHER;
    }
}
