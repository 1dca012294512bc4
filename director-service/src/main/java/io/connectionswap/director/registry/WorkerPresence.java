package io.connectionswap.director.registry;

/**
 * Whether a {@link WorkerEndpoint}'s entry is still backed by a process: DNS lists its address, one of its
 * registration streams is open (it registers again on a new one before the old one ends), or its process drained and
 * went away. Eviction ({@link WorkerEviction}) waits while either listing holds; a DRAIN that comes after the drained
 * process went away is about that process, not about one linked at its address since ({@link WorkerRegistry#drain}).
 * Registry loop only.
 */
final class WorkerPresence {

    private boolean inDns;
    /** Registration streams of this worker that registered and are open. */
    private int openRegistrations;
    private boolean drainedAway;
    /** The process that registered this entry drained and went away; a registration clears it. */
    private boolean registeredProcessGone;

    boolean inDns() {
        return inDns;
    }

    void inDns(boolean listed) {
        this.inDns = listed;
    }

    /** Whether one of the worker's registration streams is open. */
    boolean registrationOpen() {
        return openRegistrations > 0;
    }

    void registrationOpened() {
        openRegistrations++;
        registeredProcessGone = false;
    }

    void registrationClosed() {
        openRegistrations = Math.max(0, openRegistrations - 1);
    }

    /** Whether the worker drained and then went away, and has had no link since (its redials are expected to fail). */
    boolean drainedAway() {
        return drainedAway;
    }

    /** A link came up: whatever answers at the address is there. */
    void linked() {
        drainedAway = false;
    }

    /** It drained and its link closed; {@code registered}: its process had registered (only such a one sends DRAIN). */
    void wentAway(boolean registered) {
        drainedAway = true;
        registeredProcessGone = registered;
    }

    /**
     * Whether the process that registered this entry drained and went away, and none registered since: a DRAIN on its
     * registration stream is about that process, even once a new one at the address is linked.
     */
    boolean registeredProcessGone() {
        return registeredProcessGone;
    }
}
