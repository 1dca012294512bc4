package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.swapclient.ReconnectCause;
import io.connectionswap.swapclient.SwapClientListener;
import io.netty.handler.codec.quic.QuicChannel;
import org.slf4j.event.Level;

/**
 * {@link DirectorLink}'s reconnects: how many there were, why the next one is needed (the director said it was
 * leaving, or was lost), told to the listener when it comes, and the lines of each connection and each loss (with the
 * link's logger). Loop-confined, except {@link #count} (any thread).
 */
final class Reconnects {

    private final SwapClientListener listener;
    private volatile long count;
    private boolean everConnected;
    /**
     * Why the next connection is needed, told to the listener when it comes: the director said it was leaving
     * ({@link #directorLeaving}) or was lost ({@link #lost}).
     */
    private ReconnectCause nextCause = ReconnectCause.DIRECTOR_LOST;

    /** @param listener guarded already ({@link GuardedListener}): a listener that throws does not stop the link */
    Reconnects(SwapClientListener listener) {
        this.listener = listener;
    }

    /** Reconnects so far (any thread). */
    long count() {
        return count;
    }

    /** The director said GOAWAY (or refused a stream with SHUTTING_DOWN): the next connection is a planned move. */
    void directorLeaving() {
        nextCause = ReconnectCause.DIRECTOR_LEAVING;
    }

    /**
     * The connection was lost without a GOAWAY read: a close with SHUTTING_DOWN ({@code peerClose}) is still the
     * director leaving (its drain ended before the client read its GOAWAY, or it sent none), anything else a loss.
     */
    ReconnectCause lost(PeerClose peerClose) {
        nextCause = peerClose.shuttingDown() ? ReconnectCause.DIRECTOR_LEAVING : ReconnectCause.DIRECTOR_LOST;
        return nextCause;
    }

    /** The line of a connection that lived and was lost ({@code closedBy}: the director's close reason, or null). */
    void logLost(HostPort director, ReconnectCause cause, String closedBy) {
        // a planned move (a rollout closes every client's connection so) at INFO, as its "reconnected to director"
        LogLine line = LogLine.at(DirectorLink.log, cause == ReconnectCause.DIRECTOR_LEAVING ? Level.INFO : Level.WARN)
                .field("director.addr", director).field("cause", cause.tag());
        if (closedBy != null) {
            line.quoted("closed.by", closedBy);
        }
        line.log("lost connection to director; reconnecting");
    }

    /**
     * {@code channel} to {@code director} is up: the first connection, or a reconnect (counted, told to the listener
     * with its cause); {@code previous} is the connection before it, {@code failedAttempts} the attempts that failed
     * since the last connection that lived, {@code afterClosesAtOnce} whether the director closed the last connections
     * at once.
     */
    void connected(QuicChannel channel, HostPort director, QuicChannel previous, long failedAttempts,
                   boolean afterClosesAtOnce) {
        if (everConnected) {
            ReconnectCause cause = nextCause;
            count++;
            listener.reconnected(cause);
            // after connections the director closed at once, at DEBUG: their problem line (once, then reminders)
            // says what goes on, and "holds" says when it is over; a move the director asked for, at INFO
            Level level = afterClosesAtOnce ? Level.DEBUG
                    : cause == ReconnectCause.DIRECTOR_LEAVING ? Level.INFO : Level.WARN;
            LogLine.at(DirectorLink.log, level).field("director.addr", director).field("cause", cause.tag())
                    .field("reconnects", count).field("previous.open", previous != null && previous.isActive())
                    .field("failed.attempts", failedAttempts).log("reconnected to director");
        } else {
            LogLine.info(DirectorLink.log).field("director.addr", director)
                    .field("local.addr", channel.localSocketAddress()).field("failed.attempts", failedAttempts)
                    .log("connected to director");
        }
        everConnected = true;
        nextCause = ReconnectCause.DIRECTOR_LOST; // until this director says it leaves
    }
}
