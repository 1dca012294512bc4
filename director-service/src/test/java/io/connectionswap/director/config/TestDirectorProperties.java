package io.connectionswap.director.config;

import java.time.Duration;

/** The director settings unit tests run with: the defaults a test does not care about, in one place. */
public final class TestDirectorProperties {

    private TestDirectorProperties() {
    }

    /** Nio, one link connection, one routing loop, both token streams, stall minimum 300 ms, no busy polling. */
    public static DirectorProperties defaults() {
        return of("d-test", Duration.ofMillis(300), "nio", false);
    }

    /** {@link #defaults()} with these values instead. */
    public static DirectorProperties of(String id, Duration stallMinimum, String quicTransport, boolean busyPoll) {
        return of("127.0.0.1:0", id, stallMinimum, quicTransport, busyPoll);
    }

    /** {@link #defaults()} on the address {@code addr}. */
    public static DirectorProperties withAddr(String addr) {
        return of(addr, "d-test", Duration.ofMillis(300), "nio", false);
    }

    private static DirectorProperties of(String addr, String id, Duration stallMinimum, String quicTransport,
                                         boolean busyPoll) {
        return new DirectorProperties(addr, id, null, Duration.ofMillis(100), Duration.ofSeconds(1), 3,
                stallMinimum, Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofSeconds(60), 3, true,
                quicTransport, false, 1, 1, true, true, busyPoll);
    }
}
