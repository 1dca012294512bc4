package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Directors A and C both drain (the whole deployment stops, or both pods are evicted): each says GOAWAY on every
 * connection as soon as its control stream opens, and closes the connections opened during its drain only at its
 * end (DirectorDrain). The client must not hop between them in a tight loop, a new connection per GOAWAY at once and
 * every one of them kept open: the hops after a GOAWAY need the backoff as any other failed attempt does.
 */
class SwapClientAllDirectorsDrainingTest {

    @AutoClose
    private SwapClient client;
    @AutoClose
    private FakeDirector a;
    @AutoClose
    private FakeDirector c;

    @Test
    void twoDirectorsThatBothSayGoAwayAreNotDialledInATightLoop() {
        a = new FakeDirector(RepositoryPki.certs());
        c = new FakeDirector(RepositoryPki.certs());
        a.draining = true;
        c.draining = true;
        client = SwapClient.builder().directors(a.address() + "," + c.address())
                .certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build().start();
        await("first connection").atMost(Duration.ofSeconds(10)).until(() -> a.accepted.size() >= 1);

        // with the backoff (100 ms, doubling up to 1 s, each wait drawn below its ceiling: half of it on average)
        // 4 s hold about a dozen attempts, not the 136 of a tight loop
        Holds.throughout(Duration.ofSeconds(3), () -> "few connections: A accepted " + a.accepted.size()
                + ", C " + c.accepted.size(), () -> a.accepted.size() + c.accepted.size() <= 30);
    }

    /**
     * Director A drains and says GOAWAY twice on a young connection (its drain's GOAWAY to every connection, and the
     * one to a control stream that opened as the drain began: DirectorDrain.begin and controlStreamOpened), while the
     * client waits out the backoff before the next director. The second GOAWAY must not move the target once more:
     * with two addresses the client then dials draining A again instead of C, which is up.
     */
    @Test
    void aSecondGoAwayDuringTheBackoffDoesNotSkipTheNextDirector() {
        a = new FakeDirector(RepositoryPki.certs());
        c = new FakeDirector(RepositoryPki.certs());
        a.draining = true;
        client = SwapClient.builder().directors(a.address() + "," + c.address())
                .certificates(RepositoryPki.certs().toString())
                .heartbeat(Duration.ofSeconds(3), Duration.ofSeconds(10))
                .retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(4)).build().start();
        await("control stream at A").atMost(Duration.ofSeconds(10)).until(() -> !a.control.isEmpty());
        a.goAway(); // within the backoff after the first GOAWAY

        await("the next connection").atMost(Duration.ofSeconds(10))
                .until(() -> a.accepted.size() + c.accepted.size() >= 2);
        assertThat(c.accepted).as("the director after A is C").hasSize(1);
        assertThat(a.accepted).as("draining A is not dialled again before C").hasSize(1);
    }
}
