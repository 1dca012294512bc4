package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.net.Ports;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dial that finds no QUIC server fails with a bare {@code QuicClosedChannelException}, which says nothing of why:
 * {@link QuicConnector#explainFailure} says what it means, for the lines of the client and the worker that retry.
 */
class QuicConnectorTest {

    private final EventLoopGroup loop = QuicEventLoops.create("test-quic-dial", 1);

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void aDialToAPortWhereNothingListensIsExplainedAsNoHandshake(@TempDir Path pki) throws IOException {
        DevelopmentPki.create(pki);
        TlsContexts tls = TlsContexts.client("client", TlsIdentity.of(pki, "client").material());
        Future<QuicChannel> dial = new QuicConnector(loop, QuicSettings.DEFAULTS, tls.clientContext())
                .connect(new InetSocketAddress("127.0.0.1", Ports.freeUdpPort()), "localhost", null, null);

        assertThat(dial.awaitUninterruptibly(LoopbackQuic.DEADLINE.toMillis())).as("the dial ended").isTrue();
        assertThat(dial.isSuccess()).isFalse();
        assertThat(QuicConnector.explainFailure(dial.cause(), "director")).isEqualTo(" (no QUIC handshake: nothing "
                + "answered at that address, or it is not the director's QUIC port)");
    }

    @Test
    void anyOtherFailureExplainsItself() {
        assertThat(QuicConnector.explainFailure(new IOException("certificate expired"), "director")).isEmpty();
    }
}
