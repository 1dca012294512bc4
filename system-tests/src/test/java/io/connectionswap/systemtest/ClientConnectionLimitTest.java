package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A director at its client connection limit ({@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS}) closes a new connection
 * at once with {@code OVERLOADED} and a reason. The client library says so (its connection state's problem carries the
 * director's code and reason) and dials again after its backoff, not in a tight loop of handshakes; once a slot frees
 * it connects and stays. In-JVM, the director with a limit of one.
 */
class ClientConnectionLimitTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");
    @AutoClose
    private SwapClient client;

    @Test
    void aClientRefusedForTheLimitSaysWhyBacksOffAndConnectsOnceASlotFrees() throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS=1");
        RawQuicClient first = cluster.rawClient(); // holds the one slot
        await().atMost(DEADLINE).until(() -> first.connection().isActive());

        client = cluster.clientBuilder().retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build().start();

        await().atMost(DEADLINE).until(() -> refused() >= 3);
        // the problem is the last refusal's (null for the moment a refused connection is up, before its close)
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(client.connectionState().lastProblem())
                .contains("closed the connection", "OVERLOADED (0x113)", "CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS"));
        // paced by the backoff (at most one dial a second after the first few): far from the hundreds a second of
        // a client that dials again as soon as the director closes
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> refused() < 25);

        first.close();
        // a refused connection is closed within milliseconds: one up for two seconds was accepted
        await().atMost(DEADLINE).until(() -> {
            ConnectionState state = client.connectionState();
            return state.connected() && state.connectedSince() != null
                    && state.connectedSince().isBefore(Instant.now().minusSeconds(2));
        });
    }

    private double refused() {
        return cluster.director().getBean(MeterRegistry.class).get("connection.swap.limit.hits")
                .tag("limit", "client_connections").counter().count();
    }
}
