package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.RawGeneration;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The jars on this clone's development PKI (certs/generate.sh): every role says so (WARN at start, health detail
 * {@code tls.developmentCa}, gauge {@code connection_swap_tls_development_ca} 1), Boot's SSL health and info show the
 * certificates' expiry; and the director's certificate rotates without a restart: its PEM files are replaced while
 * it runs, a new connection gets the new certificate, an open connection keeps streaming and opens new streams.
 */
@ExtendWith(DumpLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsOnTheDevelopmentCaIT {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String WARNING = "running on the development CA";

    @TempDir
    static Path directorCerts;
    @AutoClose
    private ProcessCluster cluster;
    private ServiceProcess director;
    private ServiceProcess worker;
    private ServiceProcess client;
    private TlsIdentity clientIdentity;

    @BeforeAll
    void start() throws IOException {
        // the director reads a copy of the repository's PKI (same development CA), so the rotation can replace its files
        for (String file : List.of("ca.pem", "ca.key", "director.pem", "director.key")) {
            Files.copy(RepositoryPki.certs().resolve(file), directorCerts.resolve(file));
        }
        clientIdentity = TlsIdentity.of(RepositoryPki.certs(), "client");
        cluster = new ProcessCluster("TlsOnTheDevelopmentCaIT", "50ms");
        director = cluster.startDirector("CONNECTION_SWAP_CERTS_DIR=" + directorCerts,
                // Boot waits this long after the last change of a watched file before it reloads the bundle (10 s)
                "SPRING_SSL_BUNDLE_WATCH_FILE_QUIETPERIOD=300ms");
        worker = cluster.startWorker("worker-a");
        cluster.awaitHealthyWorkers(1);
        client = cluster.startClient("CONNECTION_SWAP_MAX_TOKENS=5");
        cluster.awaitReady(client);
    }

    @Test
    void everyRoleSaysItRunsOnTheDevelopmentCa() {
        for (ServiceProcess process : List.of(director, worker, client)) {
            String role = process == director ? "director" : process == worker ? "worker" : "client";
            assertThat(process.logLines(WARNING)).as("%s: WARN at start", role).singleElement().asString()
                    .contains(" WARN ").contains("tls.role=" + role)
                    .contains("tls.ca=\"CN=connection-swap development CA,O=connection-swap\"");
            JsonNode tls = json(process, "/actuator/health/tls");
            assertThat(tls.path("status").asText()).isEqualTo("UP");
            assertThat(tls.at("/details/developmentCa").asBoolean()).as("%s: health detail", role).isTrue();
            assertThat(tls.at("/details/certificate").asText()).isEqualTo("CN=" + role + ",O=connection-swap");
            assertThat(process.metrics().sum("connection_swap_tls_development_ca")).as("%s: gauge", role).isEqualTo(1.0);

            // Boot's own view of the SSL bundle: health component "ssl" and the certificates' validity in /info
            JsonNode ssl = json(process, "/actuator/health/ssl");
            assertThat(ssl.path("status").asText()).isEqualTo("UP");
            assertThat(ssl.at("/details/validChains")).as("%s: ssl health", role).isNotEmpty();
            JsonNode bundle = json(process, "/actuator/info").at("/ssl/bundles/0");
            assertThat(bundle.path("name").asText()).isEqualTo(role);
            JsonNode certificate = bundle.at("/certificateChains/0/certificates/0");
            assertThat(certificate.path("subject").asText()).contains("CN=" + role);
            assertThat(certificate.path("validityEnds").asText()).as("%s: expiry in /actuator/info", role).isNotBlank();
            assertThat(certificate.at("/validity/status").asText()).isEqualTo("VALID");
        }
        assertThat(director.logLines("quic server listening")).singleElement().asString().contains("client.auth=optional");
    }

    @Test
    void theDirectorsCertificateRotatesWithoutARestart() throws Exception {
        try (RawQuicClient before = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort())) {
            BigInteger oldSerial = serialOf(before);
            RawGeneration running = RawGeneration.start(before, GenerationRequest.completion("rotation-1", "before", 400));
            running.awaitSequence(3, DEADLINE);

            DevelopmentPki.Issued renewed = DevelopmentPki.issue(DevelopmentPki.readCa(directorCerts), "director");
            DevelopmentPki.write(directorCerts, renewed);
            BigInteger newSerial = renewed.certificate().getSerialNumber();
            assertThat(newSerial).isNotEqualTo(oldSerial);

            await("the director reloads its SSL bundle").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> newSerial.toString(16).equals(json(director, "/actuator/health/tls")
                            .at("/details/serial").asText()));
            assertThat(director.logLines("reloaded certificates")).singleElement().asString()
                    .contains("tls.role=director").contains("tls.cert.serial=" + newSerial.toString(16));

            try (RawQuicClient after = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorQuicPort())) {
                assertThat(serialOf(after)).as("a new connection sees the new certificate").isEqualTo(newSerial);
                RawGeneration fresh = RawGeneration.start(after, GenerationRequest.completion("rotation-2", "after", 5));
                assertThat(fresh.awaitWorker(DEADLINE)).isEqualTo("worker-a");
                fresh.awaitSequence(5, DEADLINE);
            }

            // the connection opened before the rotation keeps its stream and opens new ones
            running.awaitSequence(running.lastSequence() + 5, DEADLINE);
            assertThat(before.connection().isActive()).isTrue();
            assertThat(serialOf(before)).as("an open connection keeps its certificate").isEqualTo(oldSerial);
            RawGeneration second = RawGeneration.start(before, GenerationRequest.completion("rotation-3", "again", 5));
            assertThat(second.awaitWorker(DEADLINE)).isEqualTo("worker-a");
            second.awaitSequence(5, DEADLINE);
        }
        assertThat(json(director, "/actuator/health/tls").at("/details/reloads").asInt()).isEqualTo(1);
        assertThat(worker.logLines("registered with director")).as("the worker's registration was not disturbed")
                .hasSize(1);
    }

    private static BigInteger serialOf(RawQuicClient client) throws Exception {
        return ((X509Certificate) client.connection().sslEngine().getSession().getPeerCertificates()[0])
                .getSerialNumber();
    }

    private static JsonNode json(ServiceProcess process, String path) {
        String body = process.get(path);
        assertThat(body).as("%s %s answers 200", process.name(), path).isNotNull();
        return JSON.readTree(body);
    }
}
