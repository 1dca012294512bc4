package io.connectionswap.deploy.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import io.connectionswap.deploy.Command;
import io.connectionswap.deploy.Repository;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.DockerComposeContainer;

/**
 * The compose stack as containers: images built from the offline base image, the four services started by the
 * local {@code docker-compose} (v1) through Testcontainers, then the worker serving the client's stream is
 * killed ({@code docker kill}). The client must keep its connection and its token sequence: the director moves
 * the stream to the other worker.
 *
 * <p>Needs a Docker engine: without one it prints a line starting with {@code DOCKER UNAVAILABLE:} and is
 * skipped. Pulls nothing: Ryuk is off ({@code TESTCONTAINERS_RYUK_DISABLED=true}, set by the failsafe
 * configuration), no Testcontainers feature that starts a helper container is used, the base image is built
 * locally by {@code docker/offline-base-image.sh}.
 */
class ComposeIT {

    private static final Logger log = LoggerFactory.getLogger(ComposeIT.class);

    private static final List<String> SERVICES = List.of("director", "worker-a", "worker-b", "client");
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
    private static final Duration STACK_START = Duration.ofMinutes(5);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path workDir;
    private static DockerComposeContainer<?> compose;
    private static final Map<String, BufferedWriter> containerLogs = new LinkedHashMap<>();
    private static URI clientMetrics;
    private static URI directorHealth;
    private static URI directorMetrics;

    /** Why there is no Docker engine to test with, or null. */
    private static String dockerUnavailable;

    @BeforeAll
    static void startStack() throws Exception {
        dockerUnavailable = whyDockerIsUnavailable();
        if (dockerUnavailable != null) {
            System.out.println(dockerUnavailable);   // the one loud line; the test then reports itself skipped
            return;
        }
        requireRyukDisabled();
        requireJars();
        workDir = Repository.buildDirectory("compose-it");

        long t0 = System.nanoTime();
        String jreImage = offlineBaseImage();
        log.info("base image {} ready after {}", jreImage, since(t0));

        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> knobs = new LinkedHashMap<>(KNOBS);
        knobs.put("JRE_IMAGE", jreImage);
        // the client starts once both workers are healthy: three JVMs warming up at once on two cores starve
        // each other's event loops for seconds (the client's director heartbeat then times out)
        Path composeFile = ComposeStackFile.write(workDir, knobs, "it-" + run, Set.copyOf(SERVICES),
                Map.of("client", WORKERS));
        log.info("compose file for this run: {}", composeFile);

        compose = new DockerComposeContainer<>("connectionswapit" + run, composeFile.toFile())
                .withPull(false)                   // nothing may be pulled; the images are built right here
                .withBuild(true)                   // up -d --build
                .withEnv(knobs)
                .withRemoveImages(DockerComposeContainer.RemoveImages.ALL) // down --rmi all: this run's tags
                .withRemoveVolumes(true);
        for (String service : SERVICES) {
            BufferedWriter out = Files.newBufferedWriter(workDir.resolve(service + ".log"), StandardCharsets.UTF_8);
            containerLogs.put(service, out);
            compose.withLogConsumer(service, frame -> append(out, frame.getUtf8String()));
        }
        try {
            compose.start();                       // returns once the director is healthy and all are started
        } catch (RuntimeException e) {
            throw new IllegalStateException("docker-compose up failed; container logs in " + workDir, e);
        }
        log.info("compose stack up after {}", since(t0));

        String director = hostAddress("director", 8080);
        directorHealth = URI.create("http://" + director + "/actuator/health");
        directorMetrics = URI.create("http://" + director + "/actuator/prometheus");
        clientMetrics = URI.create("http://" + hostAddress("client", 8090) + "/actuator/prometheus");
    }

    @AfterAll
    static void stopStack() {
        if (compose != null) {
            try {
                compose.stop();                    // down -v --rmi all
            } catch (RuntimeException e) {
                log.warn("docker-compose down failed; remove the containers by hand (label com.docker.compose"
                        + ".project starting with connectionswapit)", e);
            }
        }
        containerLogs.values().forEach(ComposeIT::closeQuietly);
    }

    @BeforeEach
    void skipWithoutDocker() {
        // an assumption here (not in @BeforeAll) makes surefire/failsafe count the test as skipped
        Assumptions.assumeTrue(dockerUnavailable == null, dockerUnavailable);
    }

    @Test
    void killingTheServingWorkerMovesTheStreamWithoutLosingATokenOrTheConnection() throws Exception {
        long t0 = System.nanoTime();
        awaitOrExplain("the client receives tokens", STACK_START,
                () -> client().count("swap_client_tokens_total") >= 10);
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
        long tokensBefore = before.count("swap_client_tokens_total");
        long swapsBefore = before.count("swap_client_swaps_total");
        long reconnectsBefore = before.count("swap_client_reconnects_total");
        if (reconnectsBefore != 0) {
            // seen on a 2-core machine at load 19: the client's event loop starved for > 3.5 s while the JVMs
            // warmed up, so its heartbeat to the director timed out. Not what this test is about (the kill must
            // not cost the connection), but worth a loud line: see client.log.
            log.warn("the client reconnected {} time(s) BEFORE the kill (startup under load?); see {}",
                    reconnectsBefore, workDir.resolve("client.log"));
        }

        String victimId = container(victim).getContainerId();
        dockerClient().killContainerCmd(victimId).exec();
        long killedAt = System.nanoTime();
        log.info("killed {} (container {}) after {} tokens", victim, victimId.substring(0, 12), tokensBefore);

        awaitOrExplain("the client swaps to " + survivor + " and keeps receiving tokens", Duration.ofMinutes(2),
                () -> {
                    PrometheusText now = client();
                    return now.count("swap_client_swaps_total") > swapsBefore
                            && now.count("swap_client_tokens_total") >= tokensBefore + 30;
                });
        log.info("stream moved to {} {} after the kill", survivor, since(killedAt));
        awaitOrExplain("the director relays the stream from " + survivor, Duration.ofSeconds(30),
                () -> survivor.equals(servingWorker()));

        InspectContainerResponse killed = dockerClient().inspectContainerCmd(victimId).exec();
        assertThat(killed.getState().getRunning()).as("%s is dead", victim).isFalse();

        PrometheusText after = client();
        assertThat(after.count("swap_client_swaps_total")).as("swap_client_swaps_total").isGreaterThanOrEqualTo(1);
        assertThat(after.count("swap_client_sequence_errors_total"))
                .as("swap_client_sequence_errors_total: no token lost or repeated").isZero();
        assertThat(after.count("swap_client_reconnects_total"))
                .as("swap_client_reconnects_total: the client kept its one connection through the kill")
                .isEqualTo(reconnectsBefore);
        assertThat(new PrometheusText(get(directorMetrics)).count("swap_total"))
                .as("director swap_total").isGreaterThanOrEqualTo(1);
        log.info("after the swap: tokens={} swaps={} sequence_errors=0 reconnects=0",
                after.count("swap_client_tokens_total"), after.count("swap_client_swaps_total"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Preconditions
    // ---------------------------------------------------------------------------------------------------------

    private static String whyDockerIsUnavailable() {
        String reason = null;
        try {
            Command.Result info = Command.of("docker", "info", "--format", "{{.ServerVersion}}")
                    .timeout(Duration.ofSeconds(60)).run();
            if (info.exitCode() != 0) {
                reason = "`docker info` failed: " + firstLine(info.stderr());
            }
        } catch (Command.ProgramNotFoundException e) {
            reason = "no docker CLI on the PATH";
        }
        if (reason == null) {
            try {
                Command.Result version = Command.of("docker-compose", "version", "--short")
                        .timeout(Duration.ofSeconds(60)).run();
                if (version.exitCode() != 0) {
                    reason = "`docker-compose version` failed: " + firstLine(version.stderr());
                }
            } catch (Command.ProgramNotFoundException e) {
                reason = "no docker-compose (Compose v1) on the PATH";
            }
        }
        if (reason == null && "true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
                && !DockerClientFactory.instance().isDockerAvailable()) {
            reason = "Testcontainers cannot reach the Docker engine (DOCKER_HOST / /var/run/docker.sock)";
        }
        return reason == null ? null : "DOCKER UNAVAILABLE: ComposeIT skipped, " + reason
                + " (.ci/install-docker.sh installs and starts an engine)";
    }

    private static void requireRyukDisabled() {
        if (!"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
            throw new IllegalStateException("set TESTCONTAINERS_RYUK_DISABLED=true for ComposeIT (deploy-tests/pom.xml "
                    + "does so for failsafe; add it to an IDE run configuration): Ryuk's image would have to be "
                    + "pulled, and Testcontainers 2.0 reads this switch from the environment only");
        }
    }

    private static void requireJars() {
        List<String> missing = new ArrayList<>();
        for (String jar : JARS) {
            if (!Files.isRegularFile(Repository.resolve(jar))) {
                missing.add(jar);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + missing + ": the images are built from the service jars; "
                    + "build them first (./mvnw install -DskipTests, or run the whole reactor: ./mvnw verify)");
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

    // ---------------------------------------------------------------------------------------------------------
    // Observing the stack
    // ---------------------------------------------------------------------------------------------------------

    private static PrometheusText client() throws IOException, InterruptedException {
        return new PrometheusText(get(clientMetrics));
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

    private static ContainerState container(String service) {
        return compose.getContainerByServiceName(service)
                .orElseThrow(() -> new IllegalStateException("no container for compose service " + service));
    }

    /** host:port on this machine where Docker published the service's TCP port (a free port per run). */
    private static String hostAddress(String service, int containerPort) {
        Ports.Binding[] bindings = container(service).getContainerInfo().getNetworkSettings().getPorts()
                .getBindings().get(ExposedPort.tcp(containerPort));
        if (bindings == null || bindings.length == 0) {
            throw new IllegalStateException(service + ": port " + containerPort + " is not published");
        }
        return DockerClientFactory.instance().dockerHostIpAddress() + ":" + bindings[0].getHostPortSpec();
    }

    private static DockerClient dockerClient() {
        return DockerClientFactory.instance().client();
    }

    private static void awaitOrExplain(String what, Duration timeout, Callable<Boolean> condition) {
        AtomicReference<Throwable> lastError = new AtomicReference<>();
        try {
            await(what).atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
                try {
                    return condition.call();
                } catch (Exception e) {
                    lastError.set(e);
                    return false;
                }
            });
        } catch (ConditionTimeoutException e) {
            containerLogs.values().forEach(ComposeIT::flushQuietly);
            throw new AssertionError("timed out after " + timeout + " waiting until " + what
                    + (lastError.get() == null ? "" : " (last error: " + lastError.get() + ")")
                    + "; container logs: " + workDir + "/<service>.log", e);
        }
    }

    private static String since(long nanos) {
        return String.format(Locale.ROOT, "%.1fs", (System.nanoTime() - nanos) / 1e9);
    }

    private static String firstLine(String text) {
        return text.strip().lines().findFirst().orElse("(no output)");
    }

    private static void append(BufferedWriter out, String text) {
        synchronized (out) {
            try {
                out.write(text);
                out.flush();
            } catch (IOException ignored) {
                // closed after the test: late lines of containers being stopped are not needed
            }
        }
    }

    private static void flushQuietly(BufferedWriter out) {
        synchronized (out) {
            try {
                out.flush();
            } catch (IOException ignored) {
                // diagnostics only
            }
        }
    }

    private static void closeQuietly(BufferedWriter out) {
        synchronized (out) {
            try {
                out.close();
            } catch (IOException ignored) {
                // diagnostics only
            }
        }
    }
}
