package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.handler.codec.quic.QuicChannel;
import java.nio.file.Path;
import java.time.Duration;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directors A and B. A says GOAWAY, and the client's dials of B fail (B's certificate is not of the client's CA) while
 * A's connection stays up for the streams on it. connectionState() is what health checks and the gateway's cluster
 * page show: "connected" there must name the director the client is connected to, A, not B, which it cannot reach.
 */
class SwapClientStateDuringGoAwayTest {

    @AutoClose
    private SwapClient client;
    @AutoClose
    private FakeDirector a;
    @AutoClose
    private FakeDirector b;

    @Test
    void whileConnectedToADirectorThatSaidGoAwayTheStateNamesItNotTheAddressBeingDialled(@TempDir Path otherPki) {
        DevelopmentPki.create(otherPki, new X500Principal("CN=Another CA,O=elsewhere"));
        a = new FakeDirector(RepositoryPki.certs());
        b = new FakeDirector(otherPki);
        client = SwapClient.builder().directors(a.address() + "," + b.address())
                .certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .heartbeat(Duration.ofMillis(100), Duration.ofSeconds(5)).build().start();
        await("connected to A").atMost(Duration.ofSeconds(10))
                .until(() -> client.connectionState().connected() && a.control.size() == 1);
        QuicChannel first = a.connections.iterator().next();

        a.goAway();
        // the failed dial of B shows as the last problem until the next dial, of A again (it accepts while it drains),
        // after the backoff's jitter: as short as milliseconds, so that dial having come counts too
        await("the dial of B failed").atMost(Duration.ofSeconds(10))
                .until(() -> {
                    ConnectionState now = client.connectionState();
                    return now.lastProblem() != null || now.reconnects() > 0;
                });

        ConnectionState state = client.connectionState();
        assertThat(first.isActive()).as("A's connection is still up").isTrue();
        assertThat(state.connected()).isTrue();
        assertThat(state.director()).as("the director connected to").isEqualTo(a.address());
    }
}
