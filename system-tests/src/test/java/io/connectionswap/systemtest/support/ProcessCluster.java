package io.connectionswap.systemtest.support;

import static org.awaitility.Awaitility.await;

import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The built jars started as separate processes on loopback: a director, workers and a client, each on ports
 * chosen free before start. Logs go to {@code system-tests/target/process-logs/<test>/<role>.log}. Closing it closes
 * the {@link ResumingClient}s it connected, stops the roles, then the greedy upstreams.
 */
public final class ProcessCluster implements AutoCloseable {

    public static final Duration STARTUP = Duration.ofSeconds(120);
    /**
     * A director setting for hang tests: health polls every 5 s, so that only the stall watch can find a hang within a
     * second (two poll timeouts would race it otherwise).
     */
    public static final String QUIET_HEALTH_POLLS = "CONNECTION_SWAP_HEALTH_INTERVAL=5s";
    /** {@code connection-swap.director.link-heartbeat-timeout} as an environment variable (Spring's relaxed form). */
    private static final String LINK_HEARTBEAT_TIMEOUT = "CONNECTIONSWAP_DIRECTOR_LINKHEARTBEATTIMEOUT";

    private final Path root = repositoryRoot();
    private final Path logs;
    private final Map<String, String> common = new LinkedHashMap<>();
    private final List<ServiceProcess> processes = new ArrayList<>();
    private final List<Integer> directorQuicPorts = new ArrayList<>(List.of(Ports.freeUdpPort()));
    private final List<ServiceProcess> directors = new ArrayList<>();
    private final List<GreedyLlmProcess> greedyLlms = new ArrayList<>();
    private final List<ResumingClient> resumingClients = new ArrayList<>();
    private ServiceProcess director;

    public ProcessCluster(String testName, String tokenInterval) {
        this.logs = freshLogDirectory(testName);
        common.put("CONNECTION_SWAP_TOKEN_INTERVAL", tokenInterval);
        // this clone's development PKI (created with certs/generate.sh when missing); a test may pass another
        common.put("CONNECTION_SWAP_CERTS_DIR", RepositoryPki.certs().toString());
        common.put("CONNECTION_SWAP_DIRECTOR_TARGET", directorTargets());
        common.put("LOGGING_LEVEL_IO_CONNECTIONSWAP_WORKER_TOKENS", "WARN");
    }

    /**
     * {@code system-tests/target/process-logs/<testName>}, created, and emptied of an earlier run's logs: where the
     * processes of one test write theirs.
     */
    public static Path freshLogDirectory(String testName) {
        Path logs = repositoryRoot().resolve("system-tests/target/process-logs/" + testName);
        try {
            Files.createDirectories(logs);
            try (var old = Files.list(logs)) {
                for (Path file : old.toList()) {
                    Files.delete(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return logs;
    }

    /** Where the jars are: the repository root, found upwards from the working directory. */
    public static Path repositoryRoot() {
        return RepositoryPki.repositoryRoot();
    }

    /** Plans one more director replica (call before starting anything): workers and client get every address. */
    public ProcessCluster withDirectorReplicas(int replicas) {
        while (directorQuicPorts.size() < replicas) {
            directorQuicPorts.add(Ports.freeUdpPort());
        }
        common.put("CONNECTION_SWAP_DIRECTOR_TARGET", directorTargets());
        return this;
    }

    private String directorTargets() {
        return String.join(",", directorQuicPorts.stream().map(port -> "127.0.0.1:" + port).toList());
    }

    /** Starts the next planned director replica; the first one started is {@link #director()}. */
    public ServiceProcess startDirector(String... env) {
        int index = directors.size();
        Map<String, String> environment = env("director", env);
        environment.put("CONNECTION_SWAP_DIRECTOR_ADDR", "127.0.0.1:" + directorQuicPorts.get(index));
        environment.putIfAbsent("CONNECTION_SWAP_HEALTH_INTERVAL", "300ms");
        // 50 ms tokens make the default stall limit 150 ms: too tight for five JVMs on two busy cores
        environment.putIfAbsent("CONNECTION_SWAP_STALL_MINIMUM", "400ms");
        // nor is the default 1 s link heartbeat timeout: starved, live workers echoed late and the director dropped
        // both (SwapProcessIT's hang case, before it stopped one). A hang is the stall watch's to find; as InJvmCluster
        environment.putIfAbsent(LINK_HEARTBEAT_TIMEOUT, "5s");
        ServiceProcess started = start(index == 0 ? "director" : "director-" + (index + 1), "director-service", environment);
        directors.add(started);
        if (director == null) {
            director = started;
        }
        return started;
    }

    /** The QUIC port of the first director, for hand-made clients ({@link RawQuicClient}). */
    public int directorQuicPort() {
        return directorQuicPorts.get(0);
    }

    public List<ServiceProcess> directors() {
        return List.copyOf(directors);
    }

    /** Starts a worker on a free QUIC port unless {@code env} gives {@code CONNECTION_SWAP_WORKER_ADDR}. */
    public ServiceProcess startWorker(String label, String... env) {
        Map<String, String> environment = env(label, env);
        environment.putIfAbsent("CONNECTION_SWAP_WORKER_ADDR", "127.0.0.1:" + Ports.freeUdpPort());
        environment.put("CONNECTION_SWAP_WORKER_LABEL", label);
        return start(label, "worker-service", environment);
    }

    /** Starts worker-a and worker-b and waits until the directors see both healthy. */
    public void startTwoWorkers() {
        startWorker("worker-a");
        startWorker("worker-b");
        awaitHealthyWorkers(2);
    }

    /**
     * Starts upstream-a and upstream-b serving {@code model} with token gaps between {@code gapMin} and
     * {@code gapMax}; they log beside the roles and stop after them, when this cluster closes.
     */
    public GreedyUpstreams startGreedyUpstreams(String model, String gapMin, String gapMax) {
        return new GreedyUpstreams(startGreedyUpstream("upstream-a", model, gapMin, gapMax),
                startGreedyUpstream("upstream-b", model, gapMin, gapMax));
    }

    private GreedyLlmProcess startGreedyUpstream(String name, String model, String gapMin, String gapMax) {
        GreedyLlmProcess upstream = GreedyLlmProcess.start(name, logs, model, gapMin, gapMax);
        greedyLlms.add(upstream);
        return upstream;
    }

    /**
     * Starts worker-a in front of upstream-a and worker-b in front of upstream-b, with {@code env} besides the
     * upstream's settings, and waits until both are healthy.
     */
    public void startTwoWorkersOn(GreedyUpstreams upstreams, String... env) {
        startWorker("worker-a", joined(upstreams.a().workerEnv(), env));
        startWorker("worker-b", joined(upstreams.b().workerEnv(), env));
        awaitHealthyWorkers(2);
    }

    public ServiceProcess startClient(String... env) {
        return start("client", "client-service", env("client", env));
    }

    /** Starts the client as a gateway alone (no demo loop, no per-token lines) and waits until it is ready. */
    public ServiceProcess startGateway(String... env) {
        ServiceProcess gateway = startClient(joined(new String[] {"CONNECTION_SWAP_CLIENT_DEMO=false",
                "LOGGING_LEVEL_IO_CONNECTIONSWAP_CLIENT_TOKENS=WARN"}, env));
        awaitReady(gateway);
        return gateway;
    }

    /** A new {@link ResumingClient} on the first director, closed with this cluster before its processes stop. */
    public ResumingClient connectResumingClient() throws Exception {
        ResumingClient client = new ResumingClient(directorQuicPort());
        resumingClients.add(client);
        return client;
    }

    /** Starts the client with two 100-token generations at a time and waits until it has received {@code tokens}. */
    public ServiceProcess startStreamingClient(int tokens) {
        ServiceProcess client = startClient("CONNECTION_SWAP_MAX_TOKENS=100", "CONNECTION_SWAP_CLIENT_CONCURRENCY=2");
        await("the client streams " + tokens + " tokens").atMost(STARTUP).pollInterval(Duration.ofMillis(200))
                .until(() -> client.ready() && client.metrics().sum("connection_swap_client_tokens_total") >= tokens);
        return client;
    }

    public ServiceProcess director() {
        return director;
    }

    /** Where this test's process logs go (helper processes of a test may log there too). */
    public Path logDirectory() {
        return logs;
    }

    public List<ServiceProcess> processes() {
        return List.copyOf(processes);
    }

    /** Waits until the director reports {@code count} healthy workers. */
    public void awaitHealthyWorkers(int count) {
        for (ServiceProcess replica : directors) {
            if (replica.isAlive()) {
                await(replica.name() + " sees " + count + " healthy workers").atMost(STARTUP)
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> replica.ready() && replica.metrics().sum("connection_swap_workers", "state", "healthy") == count);
            }
        }
    }

    public void awaitReady(ServiceProcess process) {
        await(process.name() + " ready").atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(process::ready);
    }

    /** {@code first}, then {@code more}: a later pair wins over an earlier one with the same name ({@link #env}). */
    private static String[] joined(String[] first, String... more) {
        return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
    }

    private Map<String, String> env(String name, String... pairs) {
        Map<String, String> environment = new LinkedHashMap<>(common);
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            environment.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return environment;
    }

    private ServiceProcess start(String name, String module, Map<String, String> environment) {
        Path jar = root.resolve(module + "/target/" + module + ".jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw package (or verify) from the repository root");
        }
        ServiceProcess process = new ServiceProcess(name, jar, environment, Ports.freeTcpPort(), logs.resolve(name + ".log"));
        processes.add(process.start());
        return process;
    }

    /** Lines of every process log mentioning a buffer leak (Netty's paranoid detector reports them). */
    public List<String> leakReports() {
        List<String> leaks = new ArrayList<>();
        for (ServiceProcess process : processes) {
            process.logLines("LEAK:").forEach(line -> leaks.add(process.name() + ": " + line));
        }
        return leaks;
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        for (ServiceProcess process : processes) {
            text.append("\n===== ").append(process.name()).append(" (").append(process.log()).append(") =====\n")
                    .append(process.logTail(40));
        }
        return text.toString();
    }

    @Override
    public void close() {
        resumingClients.forEach(ResumingClient::close);
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).stop();
        }
        greedyLlms.forEach(GreedyLlmProcess::close);
    }
}
