package io.connectionswap.swapclient;

/**
 * Why the client opened a new connection to a director: the director was lost ({@link #DIRECTOR_LOST}) or said it
 * was leaving ({@link #DIRECTOR_LEAVING}), a planned rollout.
 */
public enum ReconnectCause {
    /**
     * The connection closed, or went silent past the heartbeat timeout, without the director saying it was leaving: a
     * crash, a long pause, a network or idle-timeout problem. Never while the director lives.
     */
    DIRECTOR_LOST("director_lost"),
    /**
     * The director said GOAWAY, or refused a stream with SHUTTING_DOWN: it drains (a rollout, a scale-down) and the
     * client moved on as it asked.
     */
    DIRECTOR_LEAVING("director_leaving");

    private final String tag;

    ReconnectCause(String tag) {
        this.tag = tag;
    }

    /** The metric tag value ({@code cause=director_lost|director_leaving}). */
    public String tag() {
        return tag;
    }
}
