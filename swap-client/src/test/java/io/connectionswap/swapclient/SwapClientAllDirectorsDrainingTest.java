package io.connectionswap.swapclient;

import static org.awaitility.Awaitility.await;

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

        // with the backoff (100 ms, doubling up to 1 s) 3 s hold a handful of attempts, not hundreds
        await("few connections").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4))
                .until(() -> a.accepted.size() + c.accepted.size() <= 12);
    }
}
