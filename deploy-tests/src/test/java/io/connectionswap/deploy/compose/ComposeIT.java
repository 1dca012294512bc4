package io.connectionswap.deploy.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compose stack as containers: images built from the offline base image, the four services started by the
 * local {@code docker-compose} (v1) under a project name of this run's own, then the worker serving the client's
 * stream is killed ({@code docker kill}). The client must keep its connection and its token sequence: the director
 * moves the stream to the other worker.
 *
 * <p>Nothing is pulled from a registry, ever: before {@code up}, every image the stack needs (the Dockerfile's
 * {@code FROM}, any service without a build section) must be on the engine, or the test fails at once naming it;
 * the images are built with the classic builder, which takes a present {@code FROM} image as it is; and a
 * {@link PullWatch} fails the test at once if a pull shows up in the engine's events or in docker-compose's output.
 *
 * <p>Needs {@code docker} with a running engine and {@code docker-compose}: without them it prints one
 * {@code MISSING TOOL:} line and is skipped, or fails with {@code CI=true} ({@link ExternalTool}). Output:
 * {@code deploy-tests/target/compose-it/} (docker-compose.log, one log per container, the compose file).
 */
class ComposeIT {

    private static final Logger log = LoggerFactory.getLogger(ComposeIT.class);

    /** {@code certs} is the one-shot init step that creates the development PKI, then exits. */
    private static final List<String> SERVICES = List.of("certs", "director", "worker-a", "worker-b", "client");
    private static final List<String> WORKERS = List.of("worker-a", "worker-b");
    private static final List<String> JARS = List.of("director-service/target/director-service.jar",
            "worker-service/target/worker-service.jar", "client-service/target/client-service.jar");
    /** Knobs of docker-compose.yml: short tokens, one long generation, no simulated failure of worker-a. */
    private static final Map<String, String> KNOBS = Map.of(
            "CONNECTION_SWAP_TOKEN_INTERVAL", "100ms",
            // one generation for the whole test (about 17 minutes at 100 ms): the stream being served when the
            // worker dies is certainly mid-generation, so the director must swap it
            "CONNECTION_SWAP_MAX_TOKENS", "10000",
            // docker-compose.yml reads ${WORKER_A_FAIL_AFTER:-15s}: an empty value would mean 15s; 0s is "off"
            "WORKER_A_FAIL_AFTER", "0s");
    /** Building four images and starting four JVMs (the client after both workers are healthy) on 2 cores. */
    private static final Duration STACK_UP = Duration.ofMinutes(10);
    private static final Duration STACK_START = Duration.ofMinutes(5);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path workDir;
    private static PullWatch pullWatch;
    private static ComposeProject compose;
    private static URI clientMetrics;
    private static URI directorHealth;
    private static URI directorMetrics;
    private static Path certs;

    /** Why the tools are missing (the test is then skipped), or null. */
    private static TestAbortedException toolsMissing;

    @BeforeAll
    static void startStack() throws Exception {
        try {
            ExternalTool.DOCKER.requireWorking(ComposeIT.class, "info", "--format", "{{.ServerVersion}}");
            ExternalTool.DOCKER_COMPOSE.requireWorking(ComposeIT.class, "version", "--short");
        } catch (TestAbortedException e) {
            // skipped in @BeforeEach, where surefire/failsafe count it as a skipped test (with CI=true it is an
            // AssertionError instead, which fails the class right here)
            toolsMissing = e;
            return;
        }
        requireJars();
        workDir = freshDirectory(Repository.buildDirectory("compose-it"));
        pullWatch = PullWatch.start();

        long t0 = System.nanoTime();
        String jreImage = offlineBaseImage();
        log.info("base image {} ready after {}", jreImage, since(t0));

        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> knobs = new LinkedHashMap<>(KNOBS);
        knobs.put("JRE_IMAGE", jreImage);
        // the client starts once both workers are healthy: three JVMs warming up at once on two cores starve
        // each other's event loops for seconds (the client's director heartbeat then times out)
        // an empty certificate directory of this run: the stack's init step must create the PKI in it
        certs = Files.createDirectories(workDir.resolve("certs"));
        Path composeFile = ComposeStackFile.write(workDir, knobs, "it-" + run, Set.copyOf(SERVICES),
                Map.of("client", WORKERS), certs);
        log.info("compose file for this run: {}", composeFile);

        List<RequiredImages.Need> needs = RequiredImages.of(composeFile);
        RequiredImages.requirePresent(needs);          // fails at once, naming the image, if one is absent
        log.info("images the stack needs, all present: {}", needs.stream().map(RequiredImages.Need::image).toList());

        compose = new ComposeProject("connectionswapit" + run, composeFile, workDir);
        try {
            compose.up(STACK_UP, () -> pullWatch.problem(compose.commandLog()));
        } catch (RuntimeException e) {
            compose.saveLogs(SERVICES);
            throw e;
        }
        log.info("compose stack {} up after {}", compose.name(), since(t0));

        String director = compose.publishedAddress("director", 8080);
        directorHealth = URI.create("http://" + director + "/actuator/health");
        directorMetrics = URI.create("http://" + director + "/actuator/prometheus");
        clientMetrics = URI.create("http://" + compose.publishedAddress("client", 8090) + "/actuator/prometheus");
    }

    @AfterAll
    static void stopStack() {
        try {
            if (compose != null) {
                compose.saveLogs(SERVICES);
                String failure = compose.down();     // containers, network, volumes and this run's images
                if (failure != null) {
                    log.warn("docker-compose down failed; remove project {} by hand (label "
                            + "com.docker.compose.project={}): {}", compose.name(), compose.name(), failure);
                }
            }
        } finally {
            if (pullWatch != null) {
                pullWatch.close();
            }
        }
    }

    @BeforeEach
    void skipWithoutTools() {
        if (toolsMissing != null) {
            throw toolsMissing;
        }
    }

    @Test
    void killingTheServingWorkerMovesTheStreamWithoutLosingATokenOrTheConnection() throws Exception {
        long t0 = System.nanoTime();
        awaitOrExplain("the client receives tokens", STACK_START,
                () -> client().requireCount("connection_swap_client_tokens_total") >= 10);
        log.info("tokens flowing after {}", since(t0));

        // the same worker in two polls in a row (half a second apart): not a stream in the middle of moving
        AtomicReference<String> serving = new AtomicReference<>();
        awaitOrExplain("the director shows which worker serves the stream", Duration.ofMinutes(1), () -> {
            String now = servingWorker();
            String previous = serving.getAndSet(now);
            return now != null && now.equals(previous);
        });
        String victim = serving.get();
        String survivor = WORKERS.stream().filter(w -> !w.equals(victim)).findFirst().orElseThrow();
        PrometheusText before = client();
        long tokensBefore = before.requireCount("connection_swap_client_tokens_total");
        long swapsBefore = before.requireCount("connection_swap_client_swaps_total");
        long reconnectsBefore = before.requireCount("connection_swap_client_reconnects_total");
        if (reconnectsBefore != 0) {
            // seen on a 2-core machine at load 19: the client's event loop starved for > 3.5 s while the JVMs
            // warmed up, so its heartbeat to the director timed out. Not what this test is about (the kill must
            // not cost the connection), but worth a loud line: see client.log.
            log.warn("the client reconnected {} time(s) BEFORE the kill (startup under load?); see {}",
                    reconnectsBefore, workDir.resolve("client.log"));
        }

        String victimId = compose.containerId(victim);
        Command.of("docker", "kill", victimId).timeout(Duration.ofMinutes(1)).runOrFail();
        long killedAt = System.nanoTime();
        log.info("killed {} (container {}) after {} tokens", victim, victimId.substring(0, 12), tokensBefore);

        awaitOrExplain("the client swaps to " + survivor + " and keeps receiving tokens", Duration.ofMinutes(2),
                () -> {
                    PrometheusText now = client();
                    return now.requireCount("connection_swap_client_swaps_total") > swapsBefore
                            && now.requireCount("connection_swap_client_tokens_total") >= tokensBefore + 30;
                });
        log.info("stream moved to {} {} after the kill", survivor, since(killedAt));
        awaitOrExplain("the director relays the stream from " + survivor, Duration.ofSeconds(30),
                () -> survivor.equals(servingWorker()));

        assertThat(Command.of("docker", "inspect", "--format", "{{.State.Running}}", victimId)
                .timeout(Duration.ofMinutes(1)).runOrFail().strip()).as("%s is running", victim).isEqualTo("false");

        PrometheusText after = client();
        assertThat(after.requireCount("connection_swap_client_swaps_total")).as("connection_swap_client_swaps_total")
                .isGreaterThanOrEqualTo(1);
        assertThat(after.requireCount("connection_swap_client_sequence_errors_total"))
                .as("connection_swap_client_sequence_errors_total: no token lost or repeated").isZero();
        assertThat(after.requireCount("connection_swap_client_reconnects_total"))
                .as("connection_swap_client_reconnects_total: the client kept its one connection through the kill")
                .isEqualTo(reconnectsBefore);
        assertThat(PrometheusText.parse(get(directorMetrics)).requireCount("connection_swap_swaps_total"))
                .as("director connection_swap_swaps_total").isGreaterThanOrEqualTo(1);
        assertThat(pullWatch.problem()).as("image pulls during the test").isNull();
        log.info("after the swap: tokens={} swaps={} sequence_errors=0 reconnects=0",
                after.requireCount("connection_swap_client_tokens_total"),
                after.requireCount("connection_swap_client_swaps_total"));
    }

    @Test
    void theInitStepCreatedTheDevelopmentPkiAndEveryRoleRunsOnIt() throws Exception {
        for (String file : List.of("ca.pem", "ca.key", "director.pem", "director.key", "worker.pem", "worker.key",
                "client.pem", "client.key")) {
            assertThat(certs.resolve(file)).as("written by the certs service").isRegularFile();
            assertThat(Files.getOwner(certs.resolve(file))).as("%s belongs to the owner of the directory", file)
                    .isEqualTo(Files.getOwner(certs));
        }
        // each service mounts its role's own files only: no container holds the CA's key or another role's key
        Map<String, String> roles = Map.of("director", "director", "worker-a", "worker", "worker-b", "worker",
                "client", "client");
        for (Map.Entry<String, String> service : roles.entrySet()) {
            String role = service.getValue();
            try (java.util.stream.Stream<Path> files = Files.list(certs.resolve(role))) {
                assertThat(files.map(file -> file.getFileName().toString()).toList()).as("certs/%s", role)
                        .containsExactlyInAnyOrder("ca.pem", role + ".pem", role + ".key");
            }
            String mounts = Command.of("docker", "inspect", "--format",
                            "{{range .Mounts}}{{.Source}}=>{{.Destination}};{{end}}", compose.containerId(service.getKey()))
                    .timeout(Duration.ofMinutes(1)).runOrFail().strip();
            assertThat(mounts).as("the mounts of %s", service.getKey())
                    .isEqualTo(certs.resolve(role) + "=>/certs;");
        }
        String ca = Files.readString(certs.resolve("ca.pem"));
        java.security.cert.X509Certificate caCertificate = (java.security.cert.X509Certificate)
                java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(ca.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertThat(caCertificate.getSubjectX500Principal().getName())
                .isEqualTo("CN=connection-swap development CA,O=connection-swap");
        assertThat(PrometheusText.parse(get(directorMetrics)).requireCount("connection_swap_tls_development_ca"))
                .as("the director says it runs on the development CA").isEqualTo(1);
        assertThat(client().requireCount("connection_swap_tls_development_ca")).as("the client too").isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Preconditions
    // ---------------------------------------------------------------------------------------------------------

    private static void requireJars() {
        List<String> missing = new ArrayList<>();
        for (String jar : JARS) {
            if (!Files.isRegularFile(Repository.resolve(jar))) {
                missing.add(jar);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + missing + ": the images are built from the service jars; "
                    + "build them first (./mvnw -DskipTests package, or run the whole reactor: ./mvnw verify)");
        }
    }

    /** Builds (or reuses) the registry-free Java 17 base image and returns its tag. */
    private static String offlineBaseImage() throws IOException {
        Command.Result result = Command.of(Repository.resolve("docker/offline-base-image.sh").toString())
                .directory(Repository.root())
                .timeout(Duration.ofMinutes(15))
                .run();
        Files.writeString(workDir.resolve("offline-base-image.log"), result.stderr());
        if (result.exitCode() != 0) {
            throw new IllegalStateException(result.describe());
        }
        List<String> lines = result.stdout().strip().lines().toList();
        if (lines.isEmpty()) {
            throw new IllegalStateException("docker/offline-base-image.sh printed no image tag; log: "
                    + workDir.resolve("offline-base-image.log"));
        }
        return lines.get(lines.size() - 1).strip();
    }

    /** The directory emptied of a previous run's files. */
    private static Path freshDirectory(Path dir) throws IOException {
        try (Stream<Path> old = Files.walk(dir)) {
            for (Path path : old.sorted(Comparator.reverseOrder()).toList()) {
                if (!path.equals(dir)) {
                    Files.delete(path);
                }
            }
        }
        return dir;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Observing the stack
    // ---------------------------------------------------------------------------------------------------------

    private static PrometheusText client() throws IOException, InterruptedException {
        return PrometheusText.parse(get(clientMetrics));
    }

    /** Label of the one worker the director relays a stream from, or null when none (or several) do. */
    private static String servingWorker() throws IOException, InterruptedException {
        JsonNode health = JSON.readTree(get(directorHealth));
        JsonNode workers = health.at("/components/workers/details/workers");
        if (!workers.isObject()) {
            throw new IllegalStateException("no components.workers.details.workers in the director's health: "
                    + health);
        }
        List<String> serving = new ArrayList<>();
        workers.fields().forEachRemaining(w -> {
            if (w.getValue().path("activeStreams").asInt() > 0) {
                serving.add(w.getKey().substring(0, w.getKey().indexOf('@')));
            }
        });
        return serving.size() == 1 ? serving.get(0) : null;
    }

    private static String get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + uri + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static void awaitOrExplain(String what, Duration timeout, Callable<Boolean> condition) {
        AtomicReference<Throwable> lastError = new AtomicReference<>();
        try {
            await(what).atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
                String pull = pullWatch.problem();
                if (pull != null) {
                    throw new AssertionError(pull);
                }
                try {
                    return condition.call();
                } catch (Exception e) {
                    lastError.set(e);
                    return false;
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out after " + timeout + " waiting until " + what
                    + (lastError.get() == null ? "" : " (last error: " + lastError.get() + ")")
                    + "; container logs (written after the test): " + workDir + "/<service>.log", e);
        }
    }

    private static String since(long nanos) {
        return String.format(Locale.ROOT, "%.1fs", (System.nanoTime() - nanos) / 1e9);
    }
}
