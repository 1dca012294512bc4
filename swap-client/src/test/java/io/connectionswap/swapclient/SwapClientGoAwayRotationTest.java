package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Director addresses A, B, C. A says GOAWAY; the client dials B, whose certificate it rejects, and schedules its next
 * attempt after the backoff. A then closes the connection it was draining: the client reconnects at once. The attempt
 * scheduled after B's failure must not dial a second connection on top of the one that now holds.
 */
class SwapClientGoAwayRotationTest {

    private static final Duration BACKOFF = Duration.ofSeconds(8); // the scheduled attempt fires within [0, 8 s]

    @AutoClose
    private SwapClient client;
    @AutoClose
    private FakeDirector a;
    @AutoClose
    private FakeDirector b;
    @AutoClose
    private FakeDirector c;

    @Test
    void anAttemptScheduledAfterAFailedDialDoesNotOpenASecondConnectionOnceTheClientHasReconnected(
            @TempDir Path otherPki) {
        DevelopmentPki.create(otherPki, new X500Principal("CN=Another CA,O=elsewhere"));
        a = new FakeDirector(RepositoryPki.certs());
        b = new FakeDirector(otherPki); // the client's CA did not sign its certificate: every dial fails at once
        c = new FakeDirector(RepositoryPki.certs());
        client = SwapClient.builder().directors(a.address() + "," + b.address() + "," + c.address())
                .certificates(RepositoryPki.certs().toString()).retryBackoff(BACKOFF, BACKOFF)
                .heartbeat(Duration.ofMillis(100), Duration.ofSeconds(5)).build().start();

        await("connected to A").atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected()
                && a.control.size() == 1);
        Instant since = client.connectionState().connectedSince();
        await("A's connection lived a heartbeat interval").atMost(Duration.ofSeconds(10))
                .until(() -> Duration.between(since, Instant.now()).toMillis() > 300);

        a.goAway();
        await("the dial of B failed; the next attempt waits for the backoff").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(2))
                .until(() -> client.connectionState().lastProblem() != null);
        a.closeConnections(); // A ends the connection it drained: the client reconnects at once
        await("reconnected").atMost(Duration.ofSeconds(10))
                .until(() -> client.connectionState().connected() && client.connectionState().reconnects() >= 1);

        // the attempt scheduled after B's failure fires within BACKOFF: it must find the connection up
        Holds.throughout(BACKOFF.plusSeconds(1), () -> "one connection, for a whole backoff: open at A "
                + a.connections.size() + ", at C " + c.connections.size() + ", reconnects "
                + client.connectionState().reconnects(), () -> a.connections.size() + c.connections.size() <= 1
                && client.connectionState().reconnects() == 1);
        assertThat(a.connections.size() + c.connections.size()).isEqualTo(1);
    }
}
