package io.connectionswap.director.registry;

/**
 * The outcome of one health poll.
 *
 * @param status      Actuator status (UP, DOWN, OUT_OF_SERVICE, ...) or null when there was no answer
 * @param unreachable the connection was refused or timed out
 * @param detail      what happened, for logs and health details
 */
public record PollResult(String status, boolean unreachable, String detail) {

    public static PollResult answered(String status, int httpStatus) {
        return new PollResult(status, false, "http " + httpStatus + " " + status);
    }

    /** An answer with a word on what was wrong with it, e.g. {@code http 200 UNKNOWN (not an Actuator health answer)}. */
    public static PollResult answered(String status, int httpStatus, String problem) {
        return new PollResult(status, false, "http " + httpStatus + " " + status + " (" + problem + ")");
    }

    public static PollResult unreachable(String detail) {
        return new PollResult(null, true, detail);
    }

    public boolean up() {
        return "UP".equals(status);
    }

    /** Taken out of service on purpose (a shutdown began), as opposed to DOWN (broken). */
    public boolean outOfService() {
        return "OUT_OF_SERVICE".equals(status);
    }
}
