package io.connectionswap.protocol.tracing;

import java.util.Locale;

/**
 * How one leg of a generation ended, as its span says it: implemented by each role's enum of endings (the director's
 * and the worker's legs end in different ways).
 */
public interface SpanOutcome {

    /** The enum constant's name. */
    String name();

    /** Whether the span ends with the error status. */
    boolean failure();

    /** The span's {@code outcome} attribute: the name in lowercase ({@code MIGRATION_LIMIT} → {@code migration_limit}). */
    default String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
