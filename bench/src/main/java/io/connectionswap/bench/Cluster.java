package io.connectionswap.bench;

import io.connectionswap.bench.QuicClients.Conn;
import io.connectionswap.testsupport.net.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every phase shares: the director process (its jar, default settings), the three in-JVM workers with the
 * timestamping model, the bench client's QUIC side and its connection to the director, and the waits on the
 * director's state. Phases start their own extra processes (worker processes, the gateway, upstreams).
 */
final class Cluster {

    static final Duration HEALTHY_DEADLINE = Duration.ofSeconds(180);

    private final BenchConfig cfg;
    private final Path root;
    private final Path certs;
    private final Path logs;
    private final List<InJvmWorker> inJvm = new ArrayList<>();
    private ChildProcess director;
    private ChildProcess gateway;
    private int directorPort;
    private QuicClients clients;
    private volatile Conn directorConn;
    private long unnoticedResets;
    private long unnoticedWorkerResets;

    Cluster(BenchConfig cfg, Path root) {
        this.cfg = cfg;
        this.root = root;
        this.certs = Paths.developmentPki(root);
        this.logs = cfg.out().resolve("logs");
    }

    /** Starts the director, the bench client and the in-JVM workers, and connects to the director. */
    void start() throws Exception {
        directorPort = Ports.freeUdpPort();
        int http = Ports.freeTcpPort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTION_SWAP_DIRECTOR_ADDR", "127.0.0.1:" + directorPort);
        env.put("CONNECTION_SWAP_CERTS_DIR", certs.toString());
        env.putAll(cfg.directorEnv());
        if (!cfg.directorEnv().isEmpty()) {
            Console.say("director settings from --director-env: %s", cfg.directorEnv());
        }
        director = new ChildProcess("director", jar("director-service"),
                cfg.directorJvm(), env, http, logs.resolve("director.log")).start();
        Console.say("director pid=%d quic=127.0.0.1:%d http=%d", director.pid(), directorPort, http);
        clients = new QuicClients(certs, 2, cfg.clientRcvbuf(), cfg.clientTokenStream());
        // the director's QUIC port may not be bound yet: workers retry registering until it is
        for (int i = 1; i <= 3; i++) {
            inJvm.add(InJvmWorker.start("jvm-" + i, directorPort, certs, cfg.tokenInterval().toMillis() + "ms",
                    cfg.pacing(), logs.resolve("bench-jvm.log")));
        }
        await("director ready", HEALTHY_DEADLINE, director::ready);
        awaitHealthy(inJvm.size());
        Console.say("director and %d in-JVM workers up after %.1f s", inJvm.size(), Console.elapsedSeconds());
        directorConn = clients.director(directorPort, true);
    }

    BenchConfig cfg() {
        return cfg;
    }

    Path root() {
        return root;
    }

    Path certs() {
        return certs;
    }

    Path logs() {
        return logs;
    }

    ChildProcess director() {
        return director;
    }

    int directorPort() {
        return directorPort;
    }

    QuicClients clients() {
        return clients;
    }

    /** The bench client's long-lived connection to the director (replaced by {@link #settleDirector()}). */
    Conn directorConn() {
        return directorConn;
    }

    List<InJvmWorker> inJvm() {
        return inJvm;
    }

    /** The gateway process (client-service.jar, demo off) on this director, started on first use. */
    synchronized ChildProcess gateway() {
        if (gateway == null || !gateway.isAlive()) {
            gateway = GatewayProcess.start(this);
        }
        return gateway;
    }

    Path jar(String service) {
        return Paths.serviceJar(root, service);
    }

    /** A worker process on the bench's director (not started yet), with the worker JVM options of the swap rounds. */
    WorkerProc workerProcess(String label, Map<String, String> extraEnv) {
        return new WorkerProc(label, this, extraEnv, cfg.workerJvm());
    }

    boolean directorAlive() {
        return director != null && director.isAlive();
    }

    /** The director's metrics, or null when it does not answer. */
    Metrics metrics() {
        return director.metrics();
    }

    int directorHealthy() {
        Metrics metrics = director.metrics();
        return metrics == null ? -1 : metrics.healthyWorkers();
    }

    void awaitHealthy(int count) {
        await("director sees " + count + " healthy workers", HEALTHY_DEADLINE, () -> directorHealthy() == count);
    }

    long directorStreamsActive() {
        Metrics metrics = director.metrics();
        return metrics == null ? -1 : metrics.streamsActive();
    }

    /** Sum of the in-JVM workers' active generation streams. */
    int inJvmActiveStreams() {
        return inJvm.stream().mapToInt(InJvmWorker::activeStreams).sum();
    }

    void setInJvmReady(boolean ready) {
        for (InJvmWorker worker : inJvm) {
            worker.model().ready(ready);
        }
    }

    /**
     * After the bench reset its streams on the shared connection, the director must have no session left. Some
     * resets go unnoticed by the director (see README, limits); then the connection is replaced, which ends them.
     */
    void settleDirector() {
        if (Waits.poll(Duration.ofSeconds(3), () -> directorStreamsActive() == 0)) {
            return;
        }
        long left = directorStreamsActive();
        unnoticedResets += Math.max(0, left);
        Console.say("%d director sessions did not end after the client reset its streams; replacing the connection", left);
        directorConn.close();
        try {
            directorConn = clients.director(directorPort, true);
        } catch (Exception e) {
            throw new IllegalStateException("cannot reconnect to the director", e);
        }
        awaitStreamsIdle(Duration.ofSeconds(15));
    }

    /** Counts worker streams still served after the bench reset its direct streams. */
    void noteUnnoticedWorkerResets(long left) {
        unnoticedWorkerResets += left;
    }

    long unnoticedResets() {
        return unnoticedResets;
    }

    long unnoticedWorkerResets() {
        return unnoticedWorkerResets;
    }

    boolean awaitStreamsIdle(Duration timeout) {
        boolean idle = Waits.poll(timeout, () -> {
            Metrics metrics = director.metrics();
            return metrics != null && metrics.streamsActive() == 0;
        });
        if (!idle) {
            Console.say("warning: director still reports active streams after %s", timeout);
        }
        return idle;
    }

    /** A wait whose timeout error carries the director's log tail. */
    void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        Waits.await(what, timeout, condition,
                () -> director != null ? "--- director log tail ---\n" + director.logTail(15) : null);
    }

    /** Closes the bench's director connection (at the end, before the leak checks). */
    void closeDirectorConn() {
        Conn conn = directorConn;
        directorConn = null;
        if (conn != null) {
            conn.close();
        }
    }

    void shutdown() {
        closeDirectorConn();
        if (gateway != null) {
            gateway.stop(Duration.ofSeconds(20));
        }
        for (InJvmWorker worker : inJvm) {
            worker.close();
        }
        inJvm.clear();
        if (clients != null) {
            clients.close();
        }
        if (director != null) {
            director.stop(Duration.ofSeconds(20));
        }
    }

    /** For the shutdown hook: closes the in-JVM workers, waiting at most 5 s. */
    void closeInJvmWorkersNow() {
        Thread closer = new Thread(() -> inJvm.forEach(InJvmWorker::close), "bench-close-workers");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
