package io.connectionswap.protocol.config;

/**
 * A setting that says how many event loops a role runs ({@code CONNECTION_SWAP_ROUTING_LOOPS},
 * {@code CONNECTION_SWAP_GATEWAY_HTTP_LOOPS}): 0 for one per available processor, or 1 to {@link #MAX}.
 */
public final class EventLoopCount {

    /** Most event loops such a setting gives. */
    public static final int MAX = 64;

    private EventLoopCount() {
    }

    /** Refuses a value out of range, naming the setting's environment variable. */
    public static void check(String variable, int configured) {
        if (configured < 0 || configured > MAX) {
            throw new IllegalArgumentException(variable + "=" + configured
                    + " (expected: 0 for one per available processor, or 1 to " + MAX + ")");
        }
    }

    /** The loops to run: {@code configured}, or the available processors (at most {@link #MAX}) when it is 0. */
    public static int resolve(int configured) {
        return configured > 0 ? configured : Math.min(MAX, Runtime.getRuntime().availableProcessors());
    }
}
