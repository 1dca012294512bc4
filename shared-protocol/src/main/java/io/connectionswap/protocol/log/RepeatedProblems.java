package io.connectionswap.protocol.log;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.event.Level;

/**
 * How loud the next occurrence of a problem that can repeat forever should be (a client redialling a director whose
 * certificate it does not trust, a peer presenting a rejected certificate at every attempt): the first occurrence of
 * a problem at its own level, its repeats at DEBUG, and a reminder at WARN at most every {@code remindEvery} saying
 * how often it happened since. Problems are told apart by a key; the {@code remembered} most recent ones are kept (a
 * peer cannot grow the memory). Thread-safe.
 */
public final class RepeatedProblems {

    /** The default time between two reminders of the same problem. */
    public static final Duration REMIND_EVERY = Duration.ofMinutes(5);

    private final long remindEveryNanos;
    private final LongSupplier nanoClock;
    private final Map<Object, Seen> seen;

    /** How often one problem was seen since the last line at WARN. */
    private static final class Seen {
        long warnedNanos;
        long repeats;

        Seen(long warnedNanos) {
            this.warnedNanos = warnedNanos;
        }
    }

    /**
     * What to log for one occurrence.
     *
     * @param first   the first occurrence (or the first since {@link #forget}): log it with its explanation
     * @param repeats occurrences of the same problem since its last line at WARN (or its first), this one included;
     *                0 for the first
     * @param level   the level of this occurrence's line: {@code firstLevel} for the first, WARN for a reminder,
     *                DEBUG otherwise
     */
    public record Occurrence(boolean first, long repeats, Level level) {

        /** {@code line} with a {@code repeats} field, unless this is the first occurrence. */
        public LogLine withRepeats(LogLine line) {
            return first ? line : line.field("repeats", repeats);
        }
    }

    public RepeatedProblems(Duration remindEvery, int remembered, LongSupplier nanoClock) {
        if (remindEvery == null || remindEvery.isNegative() || remindEvery.isZero()) {
            throw new IllegalArgumentException("remindEvery: " + remindEvery + " (expected: > 0)");
        }
        if (remembered < 1) {
            throw new IllegalArgumentException("remembered: " + remembered + " (expected: > 0)");
        }
        this.remindEveryNanos = remindEvery.toNanos();
        this.nanoClock = nanoClock;
        this.seen = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Object, Seen> eldest) {
                return size() > remembered;
            }
        };
    }

    /** Reminders every {@link #REMIND_EVERY}, 256 problems remembered, on the system's clock. */
    public static RepeatedProblems withDefaults() {
        return new RepeatedProblems(REMIND_EVERY, 256, System::nanoTime);
    }

    /** The problem {@code key} occurred (again); its first occurrence is logged at {@code firstLevel}. */
    public synchronized Occurrence occurred(Object key, Level firstLevel) {
        long now = nanoClock.getAsLong();
        Seen problem = seen.get(key);
        if (problem == null) {
            seen.put(key, new Seen(now));
            return new Occurrence(true, 0, firstLevel);
        }
        long repeats = ++problem.repeats;
        if (now - problem.warnedNanos >= remindEveryNanos) {
            problem.warnedNanos = now;
            problem.repeats = 0;
            return new Occurrence(false, repeats, Level.WARN);
        }
        return new Occurrence(false, repeats, Level.DEBUG);
    }

    /** Forgets every problem (it was solved): the next occurrence of any is a first one again. */
    public synchronized void forget() {
        seen.clear();
    }

    /** Forgets the problem {@code key} (it was solved): its next occurrence is a first one again. */
    public synchronized void forget(Object key) {
        seen.remove(key);
    }

    /** Whether no problem is remembered (none occurred, or all were forgotten). */
    public synchronized boolean isEmpty() {
        return seen.isEmpty();
    }
}
