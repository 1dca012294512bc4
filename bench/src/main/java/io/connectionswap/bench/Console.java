package io.connectionswap.bench;

import java.util.Locale;

/** Progress lines of a run, stamped with the seconds since the bench started. */
final class Console {

    private static final long START_NANOS = System.nanoTime();

    private Console() {
    }

    static double elapsedSeconds() {
        return (System.nanoTime() - START_NANOS) / 1e9;
    }

    static void say(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[bench %6.1fs] %s%n", elapsedSeconds(), String.format(Locale.ROOT, format, args));
    }
}
