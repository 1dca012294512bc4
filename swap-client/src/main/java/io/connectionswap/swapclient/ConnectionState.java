package io.connectionswap.swapclient;

import java.time.Instant;

/**
 * A snapshot of the client's connection to the director, for health checks.
 *
 * @param connected      a connection is up now
 * @param director       {@code host:port} of the director connected to (or last tried)
 * @param connectedSince when the current connection came up, or null
 * @param reconnects     connections opened after the first one (a director was lost)
 * @param lastProblem    why the last attempt to connect failed, or null
 */
public record ConnectionState(boolean connected, String director, Instant connectedSince, long reconnects,
                              String lastProblem) {
}
