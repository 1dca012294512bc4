package io.connectionswap.swapclient;

import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Directors A and C. A says GOAWAY: the client connects to C and keeps A's connection open for the streams still on
 * it. close() must close both connections, not only the current one: on the application's event loop the other
 * stays open, heartbeating a director the closed client no longer uses, until that director closes it.
 */
class SwapClientCloseAfterGoAwayTest {

    @AutoClose
    private FakeDirector a;
    @AutoClose
    private FakeDirector c;

    @Test
    void closeAlsoClosesTheConnectionToTheDirectorThatSaidGoAway() {
        a = new FakeDirector(RepositoryPki.certs());
        c = new FakeDirector(RepositoryPki.certs());
        EventLoopGroup application = QuicEventLoops.create("application-loop", 1);
        try {
            SwapClient client = SwapClient.builder().directors(a.address() + "," + c.address())
                    .certificates(RepositoryPki.certs().toString()).eventLoopGroup(application)
                    .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20))
                    .heartbeat(Duration.ofMillis(100), Duration.ofSeconds(5)).build().start();
            await("connected to A").atMost(Duration.ofSeconds(10))
                    .until(() -> client.connectionState().connected() && a.control.size() == 1);
            Instant since = client.connectionState().connectedSince();
            await("A's connection lived a heartbeat interval").atMost(Duration.ofSeconds(10))
                    .until(() -> Duration.between(since, Instant.now()).toMillis() > 300);
            a.goAway();
            await("connected to C").atMost(Duration.ofSeconds(10)).until(() -> c.control.size() == 1
                    && client.connectionState().reconnects() == 1);

            client.close();

            await("C's connection closed").atMost(Duration.ofSeconds(5)).until(() -> c.connections.isEmpty());
            await("A's connection closed too").atMost(Duration.ofSeconds(5)).until(() -> a.connections.isEmpty());
        } finally {
            application.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
