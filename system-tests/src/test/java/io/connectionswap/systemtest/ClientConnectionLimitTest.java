package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.swapclient.ConnectionState;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A director at its client connection limit ({@code CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS}) closes a new connection
 * at once with {@code OVERLOADED} and a reason. The client library says so (its connection state's problem carries the
 * director's code and reason) and dials again after its backoff, not in a tight loop of handshakes; once a slot frees
 * it connects and stays. In-JVM, the director with a limit of one. The application's log is not a WARN per refusal:
 * the refusal is explained once, each reconnection it closes is DEBUG, and one line says when a connection holds.
 */
class ClientConnectionLimitTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");
    @AutoClose
    private SwapClient client;
    /** Listening from after the director's start (Spring Boot's logging set-up drops the appenders before it). */
    @AutoClose
    private CapturedLogs link;

    @Test
    void aClientRefusedForTheLimitSaysWhyBacksOffAndConnectsOnceASlotFrees() throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS=1");
        link = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection");
        RawQuicClient first = cluster.rawClient(); // holds the one slot
        await().atMost(DEADLINE).until(() -> first.connection().isActive());

        client = cluster.clientBuilder().retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build().start();

        await().atMost(DEADLINE).until(() -> refused() >= 3);
        // the problem is the last refusal's (null for the moment a refused connection is up, before its close)
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(client.connectionState().lastProblem())
                .contains("closed the connection", "OVERLOADED (0x113)", "CONNECTION_SWAP_MAX_CLIENT_CONNECTIONS"));
        // paced by the backoff (at most one dial a second after the first few): far from the hundreds a second of
        // a client that dials again as soon as the director closes
        Holds.throughout(Duration.ofSeconds(2), () -> "refused " + refused(), () -> refused() < 25);
        assertThat(lines("reconnected to director", Level.WARN)).as("a WARN per refused reconnection").isEmpty();

        first.close();
        // a refused connection is closed within milliseconds: one up for two seconds was accepted
        await().atMost(DEADLINE).until(() -> {
            ConnectionState state = client.connectionState();
            return state.connected() && state.connectedSince() != null
                    && state.connectedSince().isBefore(Instant.now().minusSeconds(2));
        });
        await().atMost(DEADLINE).until(() -> lines("connection to director holds", Level.INFO).size() == 1);
        assertThat(lines("connection to director holds", Level.INFO).get(0).getFormattedMessage())
                .matches("(?s).*closed\\.at\\.once=([3-9]|\\d{2,}) failed\\.attempts=([3-9]|\\d{2,}) .*");
    }

    private List<ILoggingEvent> lines(String message, Level level) {
        return link.events().stream().filter(event -> event.getLevel() == level)
                .filter(event -> event.getFormattedMessage().contains(message)).toList();
    }

    private double refused() {
        return cluster.director().getBean(MeterRegistry.class).get("connection.swap.limit.hits")
                .tag("limit", "client_connections").counter().count();
    }
}
