package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client whose CA did not sign the director's certificate redials forever: the application's log gets the
 * explanation once, not a WARN per attempt, and one line when the connection finally succeeds.
 */
class SwapClientWithTheWrongCaTest {

    private final CapturedLogs trust = CapturedLogs.of("io.connectionswap.protocol.tls.ExplainingTrustManager");
    private final CapturedLogs link = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection");
    private final EventLoopGroup serverGroup = QuicEventLoops.create("test-director", 1);
    private QuicServerEndpoint director;
    @AutoClose
    private SwapClient client;

    @AfterEach
    void stopTheDirector() {
        director.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        trust.close();
        link.close();
    }

    @Test
    void theRejectionIsExplainedOnceWhileTheClientRedialsAndTheConnectionIsReportedOnceWhenItWorks(
            @TempDir Path otherPki) {
        DevelopmentPki.create(otherPki, new X500Principal("CN=Another CA,O=elsewhere"));
        TlsContexts directorTls = TlsContexts.server("director",
                TlsIdentity.of(RepositoryPki.certs(), "director").material(), ClientCertificates.anyOfTheCa(false));
        director = QuicServerEndpoint.bind("director", "test", serverGroup, HostPort.parse("test", "127.0.0.1:0"),
                QuicCodecs.server(QuicSettings.DEFAULTS, directorTls.serverContext(), new Accepting(),
                        new Accepting(), null));
        TlsContexts clientTls = TlsContexts.client("client", TlsIdentity.of(otherPki, "client").material());
        link.logger().setLevel(Level.DEBUG);
        trust.logger().setLevel(Level.DEBUG);

        client = SwapClient.builder().directors("127.0.0.1:" + director.localAddress().getPort()).tls(clientTls)
                .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).build().start();
        await("ten failed attempts").atMost(Duration.ofSeconds(30))
                .until(() -> rejections(trust.events()).size() >= 10);
        assertThat(loud(rejections(trust.events()))).as("the trust manager explains it once").hasSize(1);
        assertThat(loud(link.events())).as("the client's line about the handshake, once").singleElement()
                .satisfies(line -> assertThat(line.getLevel()).isEqualTo(Level.ERROR));

        clientTls.reload(TlsIdentity.of(RepositoryPki.certs(), "client").material()); // the application fixes its CA
        await("connected").atMost(Duration.ofSeconds(30)).until(() -> client.connectionState().connected());
        assertThat(link.events()).filteredOn(line -> line.getFormattedMessage().endsWith("connected to director"))
                .singleElement().extracting(ILoggingEvent::getFormattedMessage).asString()
                .containsPattern("failed.attempts=([1-9][0-9]+) connected to director$");
    }

    private static List<ILoggingEvent> rejections(List<ILoggingEvent> events) {
        return events.stream().filter(event -> event.getFormattedMessage().contains("peer.role=server")).toList();
    }

    private static List<ILoggingEvent> loud(List<ILoggingEvent> events) {
        return events.stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN)).toList();
    }

    /** A director that accepts connections and streams and says nothing. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Accepting extends ChannelInboundHandlerAdapter {
    }
}
