package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Director addresses A, B, C. A says GOAWAY and, drained, closes its connection while the client's dial of B is still
 * under way (B does not answer: the handshake times out). The address after B is C: the client must try C next, not
 * go back to A, the director that just told it to go away.
 */
class SwapClientRotationAfterGoAwayTest {

    @AutoClose
    private SwapClient client;
    @AutoClose
    private FakeDirector a;
    @AutoClose
    private FakeDirector c;

    @Test
    void afterAGoAwayAndAFailedDialOfTheNextAddressTheClientTriesTheOneAfterItNotTheDirectorThatLeft()
            throws Exception {
        try (DatagramSocket b = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            a = new FakeDirector(RepositoryPki.certs());
            c = new FakeDirector(RepositoryPki.certs());
            QuicSettings quic = new QuicSettings(Duration.ofSeconds(2), 64L * 1024 * 1024, 1024L * 1024, 100_000,
                    FrameLimits.DEFAULTS); // B's handshake times out after 2 s
            client = SwapClient.builder()
                    .directors(a.address() + ",127.0.0.1:" + b.getLocalPort() + "," + c.address())
                    .certificates(RepositoryPki.certs().toString()).quicSettings(quic)
                    .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20))
                    .heartbeat(Duration.ofMillis(100), Duration.ofSeconds(1)).build().start();

            await("connected to A").atMost(Duration.ofSeconds(10)).until(() -> client.connectionState().connected()
                    && a.control.size() == 1);
            Instant since = client.connectionState().connectedSince();
            await("A's connection lived a heartbeat interval").atMost(Duration.ofSeconds(10))
                    .until(() -> Duration.between(since, Instant.now()).toMillis() > 300);

            // B answers nothing: its first datagram says the client dials it (the state names A while A is up)
            java.util.concurrent.atomic.AtomicBoolean dialled = new java.util.concurrent.atomic.AtomicBoolean();
            Thread listener = new Thread(() -> {
                try {
                    b.receive(new java.net.DatagramPacket(new byte[2048], 2048));
                    dialled.set(true);
                } catch (java.io.IOException closed) {
                    // the test ended
                }
            }, "b-listener");
            listener.setDaemon(true);
            listener.start();
            a.goAway();
            await("the client dials B").atMost(Duration.ofSeconds(10)).untilTrue(dialled);
            a.closeConnections(); // drained: A closes the connection while B's handshake is still under way

            await("connected again").atMost(Duration.ofSeconds(20)).until(() -> client.connectionState().connected()
                    && client.connectionState().reconnects() >= 1);
            assertThat(client.connectionState().director()).as("the address after B").isEqualTo(c.address());
            assertThat(a.accepted).as("A, which went away, dialled again").hasSize(1);
        }
    }
}
