package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.quic.HostPort;
import java.time.Duration;
import java.util.List;
import org.slf4j.event.Level;

/**
 * What went wrong while connecting to a director since the last connection that lived, and how it is told (with
 * {@link DirectorLink}'s logger): each problem logged once per director and kind, its repeats at DEBUG with a WARN
 * reminder every few minutes counting them; the attempts that failed; and the connections the director closed at
 * once (a director at its connection limit), whose run a connection that holds ends with one line. Loop-confined.
 */
final class ConnectProblems {

    /**
     * The problems met since the last connection that lived (one closed at once does not count), per director: each
     * is logged once, then reminded of.
     */
    private final RepeatedProblems problems = RepeatedProblems.withDefaults();
    /** Attempts that failed since the last connection. */
    private long failedAttempts;
    /**
     * Connections in a row that the director closed within a heartbeat interval of their handshake (a director at its
     * connection limit): their reconnections are not news, the close's problem line says it; 0 once one holds.
     */
    private int closedAtOnce;

    /** Attempts that failed since the last connection that lived. */
    long failedAttempts() {
        return failedAttempts;
    }

    /** Whether the director closed the last connections at once. */
    boolean closedAtOnce() {
        return closedAtOnce > 0;
    }

    /** The director closed one more connection within a heartbeat interval of its handshake. */
    void closedAtOnceAgain() {
        closedAtOnce++;
    }

    /** A connection lived: the next problem is news again. */
    void connectionLived() {
        closedAtOnce = 0;
        failedAttempts = 0;
        problems.forget();
    }

    /**
     * An attempt at {@code director} failed; the next comes in {@code wait}. Logs {@code problem} the first time its
     * {@code kind} (what it is about, without what changes at each attempt) is met at {@code director} since the last
     * connection that lived; its repeats at DEBUG, with a WARN reminder every few minutes counting them
     * ({@code repeats}): a director refusing again and again is one line, not one per attempt, also when attempts
     * alternate between addresses.
     */
    void attemptFailed(HostPort director, String problem, String kind, Duration wait) {
        failedAttempts++;
        boolean tls = problem.contains("SSLHandshakeException");
        RepeatedProblems.Occurrence occurrence = problems.occurred(List.of(director, kind),
                tls ? Level.ERROR : Level.WARN);
        LogLine line = LogLine.at(DirectorLink.log, occurrence.level()).field("retry.in", wait)
                .quoted("problem", problem);
        if (!occurrence.first()) {
            line.field("repeats", occurrence.repeats()).field("failed.attempts", failedAttempts);
        }
        if (tls) {
            line.log("TLS handshake with the director failed: its certificate is not signed by the CA in the "
                    + "certificate directory, or does not carry the name dialled");
        } else {
            line.log("cannot reach director (is it running?)");
        }
    }

    /**
     * The connection to {@code director} has outlived the ones the director closed at once (a heartbeat interval):
     * one line, the end of the run of closes.
     */
    void holds(HostPort director) {
        if (closedAtOnce > 0) {
            LogLine.info(DirectorLink.log).field("director.addr", director).field("closed.at.once", closedAtOnce)
                    .field("failed.attempts", failedAttempts)
                    .log("connection to director holds after the director closed the previous ones at once");
            closedAtOnce = 0;
            failedAttempts = 0;
        }
    }
}
