package io.connectionswap.bootapp;

import static org.awaitility.Awaitility.await;

import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A director and two workers (worker-a, worker-b) from their built jars, as separate processes on loopback with the
 * stand-in model at 50 ms a token. Logs go to {@code boot-app-tests/target/process-logs/<role>.log}.
 */
final class DirectorAndWorkers implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(120);

    private final Path root = RepositoryPki.repositoryRoot();
    private final int directorQuicPort = Ports.freeUdpPort();
    private final Map<String, String> common = Map.of("CONNECTION_SWAP_TOKEN_INTERVAL", "50ms",
            "CONNECTION_SWAP_CERTS_DIR", RepositoryPki.certs().toString(),
            "CONNECTION_SWAP_DIRECTOR_TARGET", directorTarget());
    private final List<ServiceProcess> processes = new ArrayList<>();
    private final ServiceProcess director;

    DirectorAndWorkers() throws IOException {
        Files.createDirectories(logs());
        director = start("director", "director-service", Map.of("CONNECTION_SWAP_DIRECTOR_ADDR", directorTarget(),
                "CONNECTION_SWAP_HEALTH_INTERVAL", "300ms",
                // 50 ms tokens make the default stall limit 150 ms: too tight for three JVMs and a test on two cores
                "CONNECTION_SWAP_STALL_MINIMUM", "400ms"));
        for (String label : List.of("worker-a", "worker-b")) {
            start(label, "worker-service", Map.of("CONNECTION_SWAP_WORKER_LABEL", label,
                    "CONNECTION_SWAP_WORKER_ADDR", "127.0.0.1:" + Ports.freeUdpPort()));
        }
        await("the director sees 2 healthy workers").atMost(STARTUP).pollInterval(Duration.ofMillis(250))
                .until(() -> director.ready() && director.metrics().sum("connection_swap_workers", "state", "healthy") == 2);
    }

    /** {@code 127.0.0.1:<port>} of the director's QUIC server. */
    String directorTarget() {
        return "127.0.0.1:" + directorQuicPort;
    }

    ServiceProcess worker(String label) {
        return processes.stream().filter(process -> process.name().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("worker: " + label + " (expected: worker-a or worker-b)"));
    }

    private Path logs() {
        return root.resolve("boot-app-tests/target/process-logs");
    }

    private ServiceProcess start(String name, String module, Map<String, String> settings) throws IOException {
        Path jar = root.resolve(module + "/target/" + module + ".jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw package (or verify) from the repository root");
        }
        Path log = logs().resolve(name + ".log");
        Files.deleteIfExists(log); // an earlier run's
        Map<String, String> environment = new HashMap<>(common);
        environment.putAll(settings);
        ServiceProcess process = new ServiceProcess(name, jar, environment, Ports.freeTcpPort(), log);
        processes.add(process.start());
        return process;
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).stop();
        }
    }
}
