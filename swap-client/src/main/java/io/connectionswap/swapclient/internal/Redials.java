package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.retry.Backoff;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Where and when {@link DirectorLink} dials next: the director addresses in turn, the backoff between attempts (reset
 * by a connection that lived a heartbeat interval), the dials scheduled after it ({@code dial}), and what went wrong
 * since the last connection that lived ({@link ConnectProblems}: the failed attempts, the connections the director
 * closed at once, their lines), the last problem kept for {@code ConnectionState}. Loop-confined, except
 * {@link #current} and {@link #lastProblem} (any thread).
 */
final class Redials {

    private final List<HostPort> directors;
    private final Backoff backoff;
    /** How long a connection must live to count as one the director served, not one it refused. */
    private final Duration heartbeatInterval;
    private final EventLoop loop;
    /** The link's next dial, run by {@link #retryLater} and {@link #moveOn}. */
    private final Runnable dial;
    private final ConnectProblems problems = new ConnectProblems();
    private int targetIndex;
    /** The address being dialled, or last dialled. */
    private volatile HostPort current;
    private volatile String lastProblem;

    Redials(DirectorLinkSettings settings, EventLoop loop, Runnable dial) {
        this.directors = settings.directors();
        this.backoff = Backoff.exponential(settings.retryBackoff(), settings.retryBackoffMax());
        this.heartbeatInterval = settings.heartbeatInterval();
        this.loop = loop;
        this.dial = dial;
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

    /** Whether a connection up since {@code since} has lived a heartbeat interval: the director served it. */
    boolean lived(Instant since) {
        return lived(Duration.between(since, Instant.now()));
    }

    private boolean lived(Duration age) {
        return age.compareTo(heartbeatInterval) >= 0;
    }

    /**
     * The director of the connection up since {@code connectedSince} is leaving, and there is another address: the
     * client dials it now when that connection lived (the director worked until it began draining; the next wait is
     * the first again), else after the backoff, as after a failed attempt, so that draining directors are not dialled
     * in a tight loop.
     */
    void moveOn(Instant connectedSince) {
        targetIndex++;
        if (lived(connectedSince)) {
            backoff.reset();
            dial.run();
            return;
        }
        Duration wait = backoff.next();
        LogLine.debug(DirectorLink.log).field("retry.in", wait)
                .log("director went away at once; next director after the backoff");
        schedule(wait);
    }

    /** A connection lived: the redials start from the first backoff, and the next problem is news again. */
    void connectionLived() {
        backoff.reset();
        problems.connectionLived();
    }

    /**
     * An attempt at {@code director} failed: the next goes to the next address after the backoff; {@code problem} is
     * logged as {@link ConnectProblems#attemptFailed} says ({@code kind}: what it is about, without what changes at
     * each attempt) and kept as the last problem.
     */
    void retryLater(HostPort director, String problem, String kind) {
        targetIndex++;
        Duration wait = backoff.next();
        problems.attemptFailed(director, problem, kind, wait);
        lastProblem = problem;
        schedule(wait);
    }

    /** A connection is up: no last problem any more; returns the attempts that failed since the last one that lived. */
    long connected() {
        lastProblem = null;
        return problems.failedAttempts(); // reset once a connection holds: one closed at once was an attempt that failed
    }

    /**
     * Whether the director closed the connection to {@code director}, up since {@code since}, within a heartbeat
     * interval ({@code closedBy}: its close reason, or null); a director over its connection limit closes a new one at
     * once. If so, that counts as an attempt that failed, retried after the backoff ({@link #retryLater}), so that a
     * refusing director is not dialled in a tight loop.
     */
    boolean closedTooSoon(HostPort director, Instant since, String closedBy) {
        Duration age = Duration.between(since, Instant.now());
        if (lived(age)) {
            return false;
        }
        problems.closedAtOnceAgain();
        retryLater(director, "director " + director + " closed the connection " + age.toMillis()
                + " ms after it opened" + (closedBy == null ? "" : ": " + closedBy),
                closedBy == null ? "closed at once" : closedBy);
        return true;
    }

    /** Whether the director closed the last connections at once. */
    boolean closedAtOnce() {
        return problems.closedAtOnce();
    }

    /**
     * After connections the director closed at once: one line ({@link ConnectProblems#holds}) when the connection to
     * {@code director} has outlived them (a heartbeat interval from now, if it {@code holds} then), the end of the run
     * of closes.
     */
    void reportWhenItHolds(HostPort director, BooleanSupplier holds) {
        loop.schedule(() -> {
            if (holds.getAsBoolean()) {
                problems.holds(director);
            }
        }, heartbeatInterval.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void schedule(Duration wait) {
        loop.schedule(dial, wait.toNanos(), TimeUnit.NANOSECONDS);
    }
}
