package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.retry.Backoff;
import java.time.Duration;
import java.util.List;

/**
 * Where and when {@link DirectorLink} dials next: the director addresses in turn, the backoff between attempts (reset
 * by a connection that lived), and what went wrong since the last connection that lived ({@link ConnectProblems}: the
 * failed attempts, the connections the director closed at once, their lines), the last problem kept for
 * {@code ConnectionState}. Loop-confined, except {@link #current} and {@link #lastProblem} (any thread).
 */
final class Redials {

    private final List<HostPort> directors;
    private final Backoff backoff;
    private final ConnectProblems problems = new ConnectProblems();
    private int targetIndex;
    /** The address being dialled, or last dialled. */
    private volatile HostPort current;
    private volatile String lastProblem;

    Redials(DirectorLink.Settings settings) {
        this.directors = settings.directors();
        this.backoff = Backoff.exponential(settings.retryBackoff(), settings.retryBackoffMax());
        this.current = directors.get(0);
    }

    /** The address to dial now, in turn; {@link #current} from now on. */
    HostPort dialNext() {
        HostPort director = directors.get(Math.floorMod(targetIndex, directors.size()));
        current = director;
        return director;
    }

    /** The address being dialled, or last dialled (any thread). */
    HostPort current() {
        return current;
    }

    /** The last attempt that failed, since the last connection (any thread); null once connected. */
    String lastProblem() {
        return lastProblem;
    }

    /** Whether there is another address to move to. */
    boolean severalAddresses() {
        return directors.size() >= 2;
    }

    /** The next dial goes to the next address. */
    void nextAddress() {
        targetIndex++;
    }

    /** The next wait of the backoff. */
    Duration nextWait() {
        return backoff.next();
    }

    /** The connection left lived: the director worked until it began draining; the next wait is the first again. */
    void resetBackoff() {
        backoff.reset();
    }

    /** A connection lived: the redials start from the first backoff, and the next problem is news again. */
    void connectionLived() {
        backoff.reset();
        problems.connectionLived();
    }

    /**
     * An attempt at {@code director} failed: the next goes to the next address after the backoff, returned;
     * {@code problem} is logged as {@link ConnectProblems#attemptFailed} says ({@code kind}: what it is about, without
     * what changes at each attempt) and kept as the last problem.
     */
    Duration attemptFailed(HostPort director, String problem, String kind) {
        targetIndex++;
        Duration wait = backoff.next();
        problems.attemptFailed(director, problem, kind, wait);
        lastProblem = problem;
        return wait;
    }

    /** A connection is up: no last problem any more; returns the attempts that failed since the last one that lived. */
    long connected() {
        lastProblem = null;
        return problems.failedAttempts(); // reset once a connection holds: one closed at once was an attempt that failed
    }

    /** Whether the director closed the last connections at once. */
    boolean closedAtOnce() {
        return problems.closedAtOnce();
    }

    /** The director closed one more connection within a heartbeat interval of its handshake. */
    void closedAtOnceAgain() {
        problems.closedAtOnceAgain();
    }

    /** The connection to {@code director} has outlived the ones closed at once: {@link ConnectProblems#holds}. */
    void holds(HostPort director) {
        problems.holds(director);
    }
}
