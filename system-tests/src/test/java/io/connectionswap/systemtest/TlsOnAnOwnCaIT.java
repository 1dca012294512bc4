package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.protocol.tls.TlsMaterial;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.RawGeneration;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The jars on a PKI of their own (a CA that is not the development CA) with {@code CONNECTION_SWAP_CLIENT_AUTH=
 * required}: no role warns about the development CA (health detail false, gauge 0); the director refuses a client
 * without a certificate, or with one of another CA, in the handshake, serves a client with one, and workers still
 * register (their certificate is the worker identity).
 */
@ExtendWith(DumpLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsOnAnOwnCaIT {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final X500Principal OWN_CA = new X500Principal("CN=Example Corp QUIC CA, O=Example Corp");

    @TempDir
    static Path ownPki;
    /** A CA with the own CA's name but another key: its client certificate names the right issuer, and is forged. */
    @TempDir
    static Path impostorPki;
    @AutoClose
    private ProcessCluster cluster;
    private ServiceProcess director;
    private ServiceProcess worker;
    private ServiceProcess client;

    @BeforeAll
    void start() {
        DevelopmentPki.create(ownPki, OWN_CA);
        DevelopmentPki.create(impostorPki, OWN_CA);
        String certs = "CONNECTION_SWAP_CERTS_DIR=" + ownPki;
        cluster = new ProcessCluster("TlsOnAnOwnCaIT", "50ms");
        director = cluster.startDirector(certs, "CONNECTION_SWAP_CLIENT_AUTH=required");
        worker = cluster.startWorker("worker-a", certs);
        cluster.awaitHealthyWorkers(1);
        client = cluster.startClient(certs, "CONNECTION_SWAP_MAX_TOKENS=5");
        cluster.awaitReady(client);
    }

    @Test
    void noRoleWarnsAboutTheDevelopmentCa() {
        // the client's generations run over a connection that presented its certificate (client auth required)
        await("the client receives tokens").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .until(() -> client.metrics().sum("connection_swap_client_tokens_total") >= 5);
        for (ServiceProcess process : List.of(director, worker, client)) {
            assertThat(process.logLines("development CA")).as("%s: no warning", process.name()).isEmpty();
            assertThat(process.logLines("tls ready")).singleElement().asString()
                    .contains("tls.ca=\"[CN=Example Corp QUIC CA,O=Example Corp]\"");
            JsonNode tls = JSON.readTree(process.get("/actuator/health/tls"));
            assertThat(tls.at("/details/developmentCa").asBoolean(true)).as("%s: health detail", process.name()).isFalse();
            assertThat(process.metrics().sum("connection_swap_tls_development_ca")).as("%s: gauge", process.name()).isZero();
            assertThat(process.metrics().has("connection_swap_tls_development_ca")).isTrue();
        }
        assertThat(JSON.readTree(director.get("/actuator/health/tls")).at("/details/clientAuth").asText())
                .isEqualTo("required");
        assertThat(director.logLines("quic server listening")).singleElement().asString().contains("client.auth=required");
    }

    @Test
    void withClientAuthRequiredOnlyAClientWithACertificateOfTheCaIsServed() throws Exception {
        TlsIdentity ownClient = TlsIdentity.of(ownPki, "client");
        double clientConnectionsBefore = director.metrics().sum("connection_swap_connections_opened_total", "peer", "client");

        assertRefused(QuicTls.client(TlsMaterial.trustOnly("no client certificate", ownClient.caCertificates())),
                "a client without a certificate");
        await("the director logs the refusal").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> !director.logLines("PEER_DID_NOT_RETURN_A_CERTIFICATE").isEmpty());
        // a client certificate of another CA that bears the own CA's name (so the client's key manager offers it for
        // the director's certificate request, which names the accepted issuer), from a client that trusts the director
        TlsMaterial foreign = TlsIdentity.of(impostorPki, "client").material();
        assertRefused(QuicTls.client(new TlsMaterial("client certificate of another CA", foreign.keyManagers(),
                foreign.certificateChain(), ownClient.caCertificates())), "a client with a certificate of another CA");
        // the log is asynchronous: the line may reach the process's output a moment after the refusal
        await("the director says why").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(director.logLines("rejected peer certificate"))
                        .anySatisfy(line -> assertThat(line).contains("peer.role=client")
                                .contains("peer.cert=\"CN=client,O=connection-swap\"")));
        assertThat(director.metrics().sum("connection_swap_connections_opened_total", "peer", "client"))
                .as("no refused client became a client connection").isEqualTo(clientConnectionsBefore);

        try (RawQuicClient withCertificate = new RawQuicClient(RawQuicClient.tls(ownClient), cluster.directorQuicPort())) {
            RawGeneration generation = RawGeneration.start(withCertificate, GenerationRequest.completion("mtls", "ok", 5));
            assertThat(generation.awaitWorker(DEADLINE)).isEqualTo("worker-a");
            generation.awaitSequence(5, DEADLINE);
        }
        assertThat(worker.logLines("registered with director")).as("the worker identity registers").isNotEmpty();
    }

    /** The handshake fails, or (TLS 1.3: the server checks the client's certificate last) the director closes. */
    private void assertRefused(QuicSslContext tls, String who) throws Exception {
        EventLoopGroup group = QuicEventLoops.create("test-client-auth", 1);
        try {
            Future<QuicChannel> attempt = new QuicConnector(group, QuicSettings.DEFAULTS, tls)
                    .connect(new InetSocketAddress("127.0.0.1", cluster.directorQuicPort()), "127.0.0.1", null, null)
                    .awaitUninterruptibly();
            if (attempt.isSuccess()) {
                assertThat(attempt.getNow().closeFuture().await(10, TimeUnit.SECONDS))
                        .as("the director closes the connection of %s", who).isTrue();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }
}
