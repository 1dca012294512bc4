package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.WorkerAssignment;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code /actuator/health} tells an operator about each role, with the real jars as processes: the director
 * lists its workers, a worker its QUIC server, the client its director connection; and a draining worker is not
 * ready but still live for as long as it drains.
 */
@ExtendWith(DumpLogsOnFailure.class)
class HealthDetailsIT {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @AutoClose
    private ProcessCluster cluster;
    private RawQuicClient fakeDirector;

    /** Status code and JSON body of an Actuator GET; {@code failure} says why there was none (status -1). */
    private record Answer(int status, JsonNode body, String failure) {
        Answer(int status, JsonNode body) {
            this(status, body, "");
        }

        String state() {
            return body.path("status").asString("");
        }

        JsonNode component(String name) {
            return body.path("components").path(name);
        }
    }

    @AfterEach
    void stop() {
        if (fakeDirector != null) {
            fakeDirector.close();
        }
    }

    @Test
    void everyRoleDetailsItsHealth(TestInfo test) {
        cluster = new ProcessCluster(name(test), "50ms");
        ServiceProcess director = cluster.startDirector();
        ServiceProcess workerA = cluster.startWorker("worker-a");
        ServiceProcess workerB = cluster.startWorker("worker-b");
        cluster.awaitHealthyWorkers(2);
        ServiceProcess client = cluster.startClient("CONNECTION_SWAP_MAX_TOKENS=100", "CONNECTION_SWAP_CLIENT_CONCURRENCY=2");
        cluster.awaitReady(client);

        // worker: quicServer component with its address, load, drain state and registration
        for (ServiceProcess worker : List.of(workerA, workerB)) {
            AtomicReference<Answer> health = new AtomicReference<>();
            await(worker.name() + " serves a stream").atMost(DEADLINE).pollInterval(POLL).until(() -> {
                health.set(get(worker, "/actuator/health"));
                return health.get().component("quicServer").path("details").path("activeStreams").asInt(0) >= 1;
            });
            assertThat(health.get().status()).isEqualTo(200);
            assertThat(health.get().state()).isEqualTo("UP");
            JsonNode quic = health.get().component("quicServer");
            assertThat(quic.path("status").asString("")).isEqualTo("UP");
            JsonNode details = quic.path("details");
            assertThat(details.path("bound").asBoolean(false)).as("bound").isTrue();
            assertThat(details.path("address").asString("")).as("address").startsWith("127.0.0.1:");
            assertThat(details.path("activeStreams").isNumber()).as("activeStreams is a number: %s", details).isTrue();
            assertThat(details.path("draining").isBoolean()).as("draining present: %s", details).isTrue();
            assertThat(details.path("draining").asBoolean(true)).as("draining").isFalse();
            assertThat(details.path("registeredWithDirector").asBoolean(false)).as("registeredWithDirector").isTrue();
            assertThat(Instant.parse(details.path("registeredAt").asString(""))).as("registeredAt").isBefore(Instant.now());
        }

        // director: workers component, one entry per worker keyed "label@address"
        String keyA = "worker-a@" + quicAddress(workerA);
        String keyB = "worker-b@" + quicAddress(workerB);
        AtomicReference<JsonNode> workers = new AtomicReference<>();
        // one consistent snapshot: on a loaded machine a poll may time out or a stream be taken for a stall now and
        // then, so wait for a moment where both workers are healthy and serving
        await("director reports both workers healthy and serving").atMost(DEADLINE).pollInterval(POLL).until(() -> {
            JsonNode details = get(director, "/actuator/health").component("workers").path("details");
            workers.set(details);
            JsonNode list = details.path("workers");
            return details.path("healthy").asInt(-1) == 2
                    && List.of(keyA, keyB).stream().map(list::path).allMatch(worker -> worker.path("activeStreams").asInt(0) >= 1
                            && "HEALTHY".equals(worker.path("state").asString(""))
                            && worker.path("consecutiveFailures").asInt(-1) == 0);
        });
        JsonNode details = workers.get();
        assertThat(details.path("registered").asInt(-1)).as("registered").isEqualTo(2);
        assertThat(details.path("healthy").asInt(-1)).as("healthy").isEqualTo(2);
        assertThat(names(details.path("workers"))).as("workers keyed label@address").containsExactlyInAnyOrder(keyA, keyB);
        for (String key : List.of(keyA, keyB)) {
            JsonNode worker = details.path("workers").path(key);
            assertThat(worker.path("state").asString("")).as(key + " state").isEqualTo("HEALTHY");
            assertThat(Instant.parse(worker.path("lastPoll").asString(""))).as(key + " lastPoll")
                    .isAfter(Instant.now().minusSeconds(30));
            assertThat(worker.path("consecutiveFailures").isNumber()).as(key + " consecutiveFailures: %s", worker).isTrue();
            assertThat(worker.path("consecutiveFailures").asInt(-1)).as(key + " consecutiveFailures").isZero();
            assertThat(worker.path("activeStreams").asInt(0)).as(key + " activeStreams").isGreaterThanOrEqualTo(1);
            assertThat(worker.path("linkUp").asBoolean(false)).as(key + " linkUp").isTrue();
        }
        Answer directorHealth = get(director, "/actuator/health");
        assertThat(directorHealth.state()).isEqualTo("UP");
        assertThat(directorHealth.component("quicServer").path("status").asString("")).isEqualTo("UP");

        // client: director component with the connection's age and its reconnects
        Answer clientHealth = get(client, "/actuator/health");
        assertThat(clientHealth.status()).isEqualTo(200);
        JsonNode connection = clientHealth.component("director");
        assertThat(connection.path("status").asString("")).as("client's director component: %s", clientHealth.body())
                .isEqualTo("UP");
        assertThat(Instant.parse(connection.path("details").path("connectedSince").asString("")))
                .as("connectedSince").isBefore(Instant.now());
        assertThat(connection.path("details").path("reconnects").isNumber()).as("reconnects: %s", connection).isTrue();
        assertThat(connection.path("details").path("reconnects").asInt(-1)).as("reconnects").isZero();

        // probes of every role answer 200 UP while all is well
        for (ServiceProcess process : cluster.processes()) {
            for (String probe : List.of("/actuator/health/readiness", "/actuator/health/liveness")) {
                Answer answer = get(process, probe);
                assertThat(answer.status()).as(process.name() + " " + probe).isEqualTo(200);
                assertThat(answer.state()).as(process.name() + " " + probe).isEqualTo("UP");
            }
        }

        // every role serves its software bill of materials (CycloneDX, built into the jar)
        // (the first answer can take seconds on a loaded 2-core machine: wait for it with a deadline)
        for (ServiceProcess process : List.of(director, workerA, client)) {
            AtomicReference<Answer> answer = new AtomicReference<>();
            await(process.name() + " serves its SBOM").atMost(DEADLINE).pollInterval(POLL).untilAsserted(() -> {
                answer.set(get(process, "/actuator/sbom/application"));
                assertThat(answer.get().status()).as("%s SBOM answered: %s", process.name(), answer.get().failure())
                        .isNotEqualTo(-1);
            });
            Answer sbom = answer.get();
            assertThat(sbom.status()).as(process.name() + " /actuator/sbom/application (a jar built offline, mvn -o,"
                    + " has no SBOM: the plugin's makeBom needs online mode and skips itself)").isEqualTo(200);
            assertThat(sbom.body().path("bomFormat").asString("")).as(process.name() + " SBOM").isEqualTo("CycloneDX");
            assertThat(sbom.body().path("components").toString()).as(process.name() + " SBOM components")
                    .contains("netty-codec-classes-quic");
        }
    }

    /**
     * To keep a worker draining long enough to look at it, the test itself plays a director: it dials the worker
     * with the director's certificate and opens a stream the real director does not know about, so the real
     * director cannot move it away. The worker then drains until that stream ends (or its drain timeout passes).
     */
    @Test
    void drainingWorkerIsNotReadyButLiveUntilItsLastStreamEnds(TestInfo test) throws Exception {
        cluster = new ProcessCluster(name(test), "50ms");
        ServiceProcess director = cluster.startDirector();
        ServiceProcess worker = cluster.startWorker("worker-a", "CONNECTION_SWAP_DRAIN_TIMEOUT=40s");
        cluster.awaitHealthyWorkers(1);
        String address = quicAddress(worker);
        int quicPort = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));

        TlsIdentity directorIdentity = TlsIdentity.of(CertificateDirectory.locate(
                ProcessCluster.repositoryRoot().resolve("certs").toString()), "director");
        fakeDirector = new RawQuicClient(RawQuicClient.tls(directorIdentity), quicPort);
        RawQuicClient.Stream held = fakeDirector.openStream();
        held.write(new WorkerAssignment(1, "test-conn", GenerationRequest.completion("held-generation", "hold the drain open", 1_000_000)));
        assertThat(held.next(30)).as("CONNECTED from the worker").isInstanceOf(Connected.class);
        assertThat(held.next(30)).as("first token").isInstanceOf(Token.class);
        await("worker counts the held stream").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> get(worker, "/actuator/health").component("quicServer").path("details")
                        .path("activeStreams").asInt(0) == 1);

        worker.sigterm();

        AtomicReference<Answer> readiness = new AtomicReference<>();
        await("draining worker turns not ready").atMost(DEADLINE).pollInterval(POLL).until(() -> {
            readiness.set(get(worker, "/actuator/health/readiness"));
            return readiness.get().status() == 503;
        });
        assertThat(readiness.get().state()).as("readiness: %s", readiness.get().body()).isEqualTo("OUT_OF_SERVICE");
        assertThat(readiness.get().component("readinessState").path("status").asString(""))
                .as("readinessState (REFUSING_TRAFFIC): %s", readiness.get().body()).isEqualTo("OUT_OF_SERVICE");

        // it stays so while it drains: not ready, live, still serving the held stream, reported as draining
        int tokensBefore = tokens(held);
        AtomicReference<String> seen = new AtomicReference<>();
        Holds.throughout(Duration.ofSeconds(3), Duration.ofMillis(300),
                () -> "draining worker stays live and not ready: " + seen.get(), () -> {
                    boolean alive = worker.isAlive();
                    int ready = get(worker, "/actuator/health/readiness").status();
                    int live = get(worker, "/actuator/health/liveness").status();
                    seen.set("alive=" + alive + " readiness=" + ready + " liveness=" + live);
                    return alive && ready == 503 && live == 200;
                });
        Answer liveness = get(worker, "/actuator/health/liveness");
        assertThat(liveness.state()).as("liveness: %s", liveness.body()).isEqualTo("UP");
        Answer health = get(worker, "/actuator/health");
        JsonNode quic = health.component("quicServer");
        assertThat(quic.path("status").asString("")).as("quicServer while draining: %s", health.body()).isEqualTo("UP");
        assertThat(quic.path("details").path("draining").asBoolean(false)).as("draining").isTrue();
        assertThat(quic.path("details").path("activeStreams").asInt(-1)).as("activeStreams").isEqualTo(1);
        assertThat(tokens(held)).as("the held stream keeps getting tokens while draining").isGreaterThan(tokensBefore);

        // the director knows: the worker is DRAINING and not counted healthy
        String key = "worker-a@" + address;
        await("director reports worker-a draining").atMost(DEADLINE).pollInterval(POLL)
                .until(() -> "DRAINING".equals(get(director, "/actuator/health").component("workers").path("details")
                        .path("workers").path(key).path("state").asString("")));
        assertThat(director.metrics().sum("connection_swap_workers", "state", "healthy")).isZero();

        // a draining worker refuses new handoffs
        RawQuicClient.Stream refused = fakeDirector.openStream();
        refused.write(new WorkerAssignment(2, "test-conn", GenerationRequest.completion("refused-generation", "too late", 10)));
        Message answer = refused.next(30);
        assertThat(answer).as("answer to a handoff while draining").isInstanceOf(StreamError.class);
        assertThat(((StreamError) answer).code()).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThat(worker.isAlive()).as("still draining").isTrue();

        // ending the last stream ends the drain: the worker exits well before its 40 s drain timeout
        fakeDirector.close();
        fakeDirector = null;
        assertThat(worker.waitForExit(Duration.ofSeconds(35))).as("worker exits once its last stream ended").isTrue();
        assertThat(worker.logLines("drained; closing quic server")).isNotEmpty();
        assertThat(worker.logLines("drain timeout passed")).isEmpty();
    }

    private static String name(TestInfo test) {
        return "HealthDetailsIT-" + test.getTestMethod().orElseThrow().getName();
    }

    /** The worker's QUIC address as its health reports it; the director keys the worker by the same address. */
    private static String quicAddress(ServiceProcess worker) {
        AtomicReference<String> address = new AtomicReference<>();
        await(worker.name() + " reports its quic address").atMost(DEADLINE).pollInterval(POLL).until(() -> {
            address.set(get(worker, "/actuator/health").component("quicServer").path("details").path("address").asString(""));
            return !address.get().isEmpty();
        });
        return address.get();
    }

    private static int tokens(RawQuicClient.Stream stream) {
        return (int) stream.replies.stream().filter(Token.class::isInstance).count();
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.properties().forEach(entry -> names.add(entry.getKey()));
        return names;
    }

    /** GET on a process's HTTP port; status -1 and an empty body when it does not answer. */
    private static Answer get(ServiceProcess process, String path) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + process.httpPort() + path))
                    .header("Accept", path.startsWith("/actuator/sbom") ? "*/*" : "application/json")
                    .timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = JSON.readTree(response.body());
            } catch (RuntimeException notJson) {
                body = JSON.createObjectNode();
            }
            return new Answer(response.statusCode(), body);
        } catch (IOException e) {
            return new Answer(-1, JSON.createObjectNode(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, JSON.createObjectNode(), e.toString());
        }
    }
}
