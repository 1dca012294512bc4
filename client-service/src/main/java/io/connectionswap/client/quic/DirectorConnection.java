package io.connectionswap.client.quic;

import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.SwapClient;
import java.time.Instant;

/**
 * The client library's one QUIC connection to the director, as this service reports it (health, tests). The
 * connection itself, its failover and reconnects live in {@link SwapClient}.
 */
public final class DirectorConnection {

    private final SwapClient client;
    private final String target;

    public DirectorConnection(SwapClient client, String target) {
        this.client = client;
        this.target = target;
    }

    /** The configured {@code CONNECTION_SWAP_DIRECTOR_TARGET}. */
    public String target() {
        return target;
    }

    public boolean isConnected() {
        return state().connected();
    }

    public Instant connectedSince() {
        return state().connectedSince();
    }

    public long reconnects() {
        return state().reconnects();
    }

    /** Why the last attempt to connect failed, or null. */
    public String lastProblem() {
        return state().lastProblem();
    }

    public ConnectionState state() {
        return client.connectionState();
    }
}
