package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.quic.HostPort;
import io.netty.handler.codec.quic.QuicChannel;
import java.time.Instant;

/**
 * The connection to a director that {@link DirectorLink} opens new streams on: its channel, the address it goes to,
 * since when it is up, its {@link DirectorStreams}, and whether its director is leaving (GOAWAY, or a stream refused
 * with SHUTTING_DOWN) while the client moves to the next connection. Changed on the loop; what {@code ConnectionState}
 * shows (and whether streams can open) is read from any thread.
 */
final class CurrentConnection {

    private volatile QuicChannel channel;
    /** The address of {@link #channel}; kept once it closed. */
    private volatile HostPort address;
    private volatile Instant since;
    /** {@link #channel} when its director said GOAWAY while the client moves to another address; null otherwise. */
    private volatile QuicChannel leaving;
    /** The streams of {@link #channel}: where every stream opens, within the director's stream limit. */
    private DirectorStreams streams;

    /** The connection, or null. */
    QuicChannel channel() {
        return channel;
    }

    /** The address of the connection, or of the last one. */
    HostPort address() {
        return address;
    }

    /** Since when the connection is up; null while there is none. */
    Instant since() {
        return since;
    }

    DirectorStreams streams() {
        return streams;
    }

    /** Whether there is a connection and it is up, its director leaving or not. */
    boolean isOpen() {
        QuicChannel open = channel;
        return open != null && open.isActive();
    }

    /** Whether new streams can open: there is a connection, it is up, and its director is not leaving. */
    boolean takesStreams() {
        QuicChannel open = channel;
        return open != null && open.isActive() && open != leaving;
    }

    /** Whether {@code candidate} is the connection, and its director not leaving. */
    boolean isStaying(QuicChannel candidate) {
        return candidate == channel && candidate != leaving;
    }

    /** Whether {@code candidate} is the connection, its director leaving. */
    boolean isLeaving(QuicChannel candidate) {
        return candidate == leaving;
    }

    /** Whether the next connection is wanted: there is none, or its director is leaving. */
    boolean wantsNext() {
        return channel == null || channel == leaving;
    }

    /**
     * {@code next}, to {@code director}, is the connection from now on, up since now; returns the one before it (still
     * open after a GOAWAY: it carries its streams until they end), or null.
     */
    QuicChannel replaceWith(QuicChannel next, HostPort director) {
        QuicChannel previous = channel;
        address = director;
        channel = next;
        leaving = null;
        since = Instant.now();
        return previous;
    }

    /** The streams of the connection, opened once it is the connection. */
    void streams(DirectorStreams opened) {
        streams = opened;
    }

    /** The connection's director is leaving: no new stream opens on it ({@link #takesStreams}). */
    void leaving() {
        leaving = channel;
    }

    /** The connection closed: there is none until the next is up. */
    void closed() {
        channel = null;
        since = null;
        leaving = null;
    }
}
