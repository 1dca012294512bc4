package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.client.quic.DirectorConnection;
import io.connectionswap.client.stream.GenerationResult;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.QuicTls;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.worker.registration.DirectorRegistration;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The core flow with every role as a Spring application in this JVM: two workers, a director and a client on
 * free ports, TLS with the repository's certificates.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CoreStreamingTest {

    private static final int MAX_TOKENS = 12;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");
    private final TlsIdentity clientIdentity = TlsIdentity.of(CertificateDirectory.locate(null), "client");
    private int workerAPort;
    private ConfigurableApplicationContext workerA;

    @BeforeAll
    void startCluster() {
        cluster.startDirector();
        workerAPort = Ports.freeUdpPort();
        workerA = cluster.startWorker("worker-a", workerAPort);
        cluster.startWorker("worker-b", 0);
        await().atMost(DEADLINE).until(() -> cluster.registry().healthyCount() == 2);
    }

    @Test
    void clientReceivesEveryTokenInOrderFromOneWorkerAndTheTextIsTheModels() {
        InJvmCluster.Recorder client = cluster.startClient(String.valueOf(MAX_TOKENS));
        try {
            await().atMost(DEADLINE).until(() -> client.completed.size() >= 2);
            DeterministicTokenModel model = new DeterministicTokenModel();
            for (GenerationResult result : client.completed.subList(0, 2)) {
                assertThat(result.tokens()).isEqualTo(MAX_TOKENS);
                assertThat(result.sequenceErrors()).isZero();
                assertThat(result.workers()).hasSize(1).allMatch(worker -> worker.startsWith("worker-"));
                assertThat(result.connectionIds()).hasSize(1);
                assertThat(result.text()).isEqualTo(model.text(result.prompt(), 1, MAX_TOKENS));
            }
            // one connection for every generation, and least-loaded round robin spreads them
            assertThat(client.completed.get(0).connectionIds()).isEqualTo(client.completed.get(1).connectionIds());
        } finally {
            cluster.stop(client.context);
        }
    }

    @Test
    void badInputEndsOnlyThatStreamAndTheConnectionLivesOn() throws Exception {
        try (RawQuicClient raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorPort())) {
            RawQuicClient.Stream unknownType = raw.openStream();
            unknownType.writeBytes(Unpooled.wrappedBuffer(new byte[] {0x7f, 0, 0, 0, 1, 0}));
            assertError(unknownType.next(10), ErrorCode.UNKNOWN_FRAME_TYPE);

            RawQuicClient.Stream oversized = raw.openStream();
            oversized.writeBytes(Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(10_000_000));
            assertError(oversized.next(10), ErrorCode.REQUEST_TOO_LARGE);

            RawQuicClient.Stream oversizedControl = raw.openStream();
            oversizedControl.writeBytes(Unpooled.buffer().writeByte(FrameType.HEARTBEAT.code()).writeInt(100_000));
            assertError(oversizedControl.next(10), ErrorCode.FRAME_TOO_LARGE);

            RawQuicClient.Stream malformed = raw.openStream();
            byte[] json = "{\"prompt\":".getBytes();
            malformed.writeBytes(Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(json.length).writeBytes(json));
            assertError(malformed.next(10), ErrorCode.MALFORMED_MESSAGE);

            RawQuicClient.Stream truncated = raw.openStream();
            truncated.writeBytes(Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(100).writeBytes(new byte[10]));
            truncated.finish();
            assertError(truncated.next(10), ErrorCode.TRUNCATED_FRAME);

            // the same connection still serves a generation
            RawQuicClient.Stream good = raw.openStream();
            good.write(GenerationRequest.completion("raw-1", "prompt-raw", 3));
            Message first = good.next(10);
            assertThat(first).isInstanceOf(Connected.class);
            assertThat(good.next(10)).isEqualTo(new Token(1, new DeterministicTokenModel().token("prompt-raw", 1)));
            assertThat(raw.connection().isActive()).isTrue();
        }
    }

    @Test
    void statusListsTheWorkersAndTheirModelsAndAnUnknownModelIsRefused() throws Exception {
        try (RawQuicClient raw = new RawQuicClient(RawQuicClient.tls(clientIdentity), cluster.directorPort())) {
            RawQuicClient.Stream status = raw.openStream();
            status.write(new StatusRequest("core-streaming-test"));
            status.finish();
            Message reply = status.next(10);
            assertThat(reply).isInstanceOfSatisfying(ClusterStatus.class, cluster -> {
                assertThat(cluster.workers()).extracting(ClusterStatus.WorkerStatus::label)
                        .contains("worker-a", "worker-b");
                assertThat(cluster.workers()).allSatisfy(worker -> assertThat(worker.models()).containsExactly("stand-in"));
            });

            RawQuicClient.Stream unknown = raw.openStream();
            unknown.write(new GenerationRequest("g-unknown", "no-such-model", "hello", null,
                    SamplingParameters.maxTokens(3), 0, null, null, 0, null, false));
            assertError(unknown.next(10), ErrorCode.MODEL_NOT_FOUND);
            assertThat(raw.connection().isActive()).isTrue();
        }
    }

    @Test
    void workerRestartedOnTheSameAddressIsListedOnce() {
        WorkerEndpoint before = cluster.registry().workers().stream()
                .filter(worker -> worker.address().port() == workerAPort).findFirst().orElseThrow();
        cluster.stop(workerA);
        ConfigurableApplicationContext restarted = cluster.startWorker("worker-a", workerAPort);
        workerA = restarted;
        String newInstance = restarted.getBean(DirectorRegistration.class).instanceId();
        await().atMost(DEADLINE).until(() -> cluster.registry().workers().stream()
                .anyMatch(worker -> worker.instanceId().equals(newInstance)));
        List<WorkerEndpoint> onThatAddress = cluster.registry().workers().stream()
                .filter(worker -> worker.address().port() == workerAPort).toList();
        assertThat(onThatAddress).hasSize(1);
        assertThat(onThatAddress.get(0).instanceId()).isEqualTo(newInstance).isNotEqualTo(before.instanceId());
        assertThat(cluster.registry().workers()).hasSize(2);
    }

    @Test
    void peerOfferingAnotherAlpnIsRefused() {
        EventLoopGroup group = QuicEventLoops.create("test-alpn", 1);
        try {
            QuicConnector connector = new QuicConnector(group, QuicSettings.DEFAULTS, QuicTls.client(clientIdentity, "h3"));
            Future<QuicChannel> attempt = connector.connect(new InetSocketAddress("127.0.0.1", cluster.directorPort()),
                    "127.0.0.1", null, null).awaitUninterruptibly();
            assertThat(attempt.isSuccess()).as("handshake with ALPN h3 must fail").isFalse();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void hostNameVerificationRefusesADirectorCertificateWithoutTheNameDialled() {
        EventLoopGroup group = QuicEventLoops.create("test-hostname", 1);
        try {
            QuicConnector connector = new QuicConnector(group, QuicSettings.DEFAULTS, QuicTls.client(clientIdentity));
            Future<QuicChannel> wrongName = connector.connect(new InetSocketAddress("127.0.0.1", cluster.directorPort()),
                    "not-the-director.example", null, null).awaitUninterruptibly();
            assertThat(wrongName.isSuccess()).as("certificate without the name dialled must be refused").isFalse();
            Future<QuicChannel> rightName = connector.connect(new InetSocketAddress("127.0.0.1", cluster.directorPort()),
                    "localhost", null, null).awaitUninterruptibly();
            assertThat(rightName.isSuccess()).as("localhost is in the director certificate's SANs").isTrue();
            rightName.getNow().close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void workerRefusesAPeerWithoutTheDirectorsCertificate() throws Exception {
        // the client certificate is signed by the same CA, but it is not the director's
        EventLoopGroup group = QuicEventLoops.create("test-mtls", 1);
        try {
            QuicConnector connector = new QuicConnector(group, QuicSettings.DEFAULTS, QuicTls.client(clientIdentity));
            Future<QuicChannel> attempt = connector.connect(new InetSocketAddress("127.0.0.1", workerAPort), "127.0.0.1",
                    null, null).awaitUninterruptibly();
            if (attempt.isSuccess()) {
                // TLS 1.3: the server checks the client certificate after the client's handshake completed
                assertThat(attempt.getNow().closeFuture().await(10, TimeUnit.SECONDS))
                        .as("worker closes a connection from a non-director peer").isTrue();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void clientThatDoesNotTrustTheDirectorFailsWithAClearError(@TempDir Path otherPki) throws Exception {
        Path generate = CertificateDirectory.locate(null).resolve("generate.sh");
        Process process = new ProcessBuilder("bash", generate.toString(), otherPki.toString())
                .redirectErrorStream(true).start();
        process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertThat(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0).as("generate.sh ran").isTrue();
        assertThat(Files.exists(otherPki.resolve("client.pem"))).isTrue();

        InJvmCluster.Recorder client = cluster.startClient("5", "--CONNECTION_SWAP_CERTS_DIR=" + otherPki);
        try {
            DirectorConnection connection = client.context.getBean(DirectorConnection.class);
            await().atMost(DEADLINE).until(() -> connection.lastProblem() != null);
            assertThat(connection.isConnected()).isFalse();
            assertThat(connection.lastProblem())
                    .contains("cannot connect to director 127.0.0.1:" + cluster.directorPort())
                    .containsIgnoringCase("certif");
            assertThat(client.completed).isEmpty();
        } finally {
            cluster.stop(client.context);
        }
    }

    private static void assertError(Message reply, ErrorCode code) {
        assertThat(reply).isInstanceOfSatisfying(StreamError.class, error -> assertThat(error.code()).isEqualTo(code));
    }
}
