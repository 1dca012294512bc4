package io.connectionswap.director.registry;

import java.time.Instant;

/**
 * The health polls of one {@link WorkerEndpoint}: the last one's time and result, the runs of successes and failures
 * the state machine counts ({@link WorkerHealthStates}), since when its health has been unreachable (for eviction),
 * and whether a poll is in flight. Written on the registry's loop; read from other threads too (the Actuator health
 * endpoint), hence volatile.
 */
final class PollHistory {

    private volatile int consecutiveFailures;
    private volatile int consecutiveSuccesses;
    private volatile Instant lastPollAt;
    private volatile String lastPollResult;
    private volatile boolean pollInFlight;
    private volatile Instant unreachableSince;

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    int consecutiveSuccesses() {
        return consecutiveSuccesses;
    }

    Instant lastPollAt() {
        return lastPollAt;
    }

    String lastPollResult() {
        return lastPollResult;
    }

    boolean pollInFlight() {
        return pollInFlight;
    }

    void pollInFlight(boolean inFlight) {
        this.pollInFlight = inFlight;
    }

    Instant unreachableSince() {
        return unreachableSince;
    }

    void pollSucceeded(String result) {
        lastPollAt = Instant.now();
        lastPollResult = result;
        consecutiveFailures = 0;
        consecutiveSuccesses++;
        unreachableSince = null;
    }

    void pollFailed(String result, boolean unreachable) {
        lastPollAt = Instant.now();
        lastPollResult = result;
        consecutiveSuccesses = 0;
        consecutiveFailures++;
        if (unreachable && unreachableSince == null) {
            unreachableSince = lastPollAt;
        } else if (!unreachable) {
            unreachableSince = null;
        }
    }

    void resetSuccesses() {
        consecutiveSuccesses = 0;
    }
}
