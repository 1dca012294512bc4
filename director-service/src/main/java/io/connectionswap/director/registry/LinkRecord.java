package io.connectionswap.director.registry;

import io.connectionswap.protocol.retry.Backoff;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The director's link to one {@link WorkerEndpoint} as the registry keeps it: the connection now (routing loops open
 * streams on it, hence volatile), whether a dial is under way, the backoff of the dial that made the link and when it
 * came up (a link lost soon after goes on with that backoff, as a dial that failed), since when the worker has had no
 * link (for eviction), and whether a routing loop found the link without stream credit ({@link StreamRoom}). Written
 * on the registry's loop, but for the stream credit, which any routing loop records.
 */
final class LinkRecord {

    private volatile WorkerConnection link;
    private boolean pending; // registry loop only
    private Backoff dialBackoff; // registry loop only
    private long upNanos; // registry loop only
    private volatile Instant downSince = Instant.now();
    private final AtomicBoolean outOfStreamCredit = new AtomicBoolean();

    WorkerConnection current() {
        return link;
    }

    boolean up() {
        WorkerConnection current = link;
        return current != null && current.isUp();
    }

    /** Whether the current link carries the worker's tokens on a token stream per connection. */
    boolean tokenStream() {
        WorkerConnection current = link;
        return current != null && current.tokenStream();
    }

    /** {@code newLink} is the link now; null: the worker has none from now, if it had one. */
    void set(WorkerConnection newLink) {
        this.link = newLink;
        if (newLink != null) {
            downSince = null;
        } else if (downSince == null) {
            downSince = Instant.now();
        }
    }

    /** The link came up at {@code nanos} through a dial that waited by {@code backoff}. */
    void dialed(Backoff backoff, long nanos) {
        dialBackoff = backoff;
        upNanos = nanos;
    }

    Backoff dialBackoff() {
        return dialBackoff;
    }

    long upNanos() {
        return upNanos;
    }

    /** Since when the worker has had no link (from its entry's creation until the first), or null while it has one. */
    Instant downSince() {
        return downSince;
    }

    boolean pending() {
        return pending;
    }

    void pending(boolean dialling) {
        this.pending = dialling;
    }

    /**
     * Records whether a routing loop found this link without stream credit ({@link StreamRoom}); true when that is
     * news (an episode begins or ends). Any routing loop.
     */
    boolean outOfStreamCredit(boolean out) {
        return outOfStreamCredit.get() != out && outOfStreamCredit.compareAndSet(!out, out);
    }

    /** Whether a routing loop found this link without stream credit, and not every loop with credit since. */
    boolean outOfStreamCredit() {
        return outOfStreamCredit.get();
    }
}
