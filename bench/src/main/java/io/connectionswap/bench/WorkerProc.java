package io.connectionswap.bench;

import io.connectionswap.testsupport.net.Ports;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A worker running from worker-service.jar, registered with the bench's director; keeps its ports across restarts. */
final class WorkerProc {

    final String label;
    private final Cluster cluster;
    private final Map<String, String> extraEnv;
    private final List<String> jvmOptions;
    private int udp = Ports.freeUdpPort();
    private int http = Ports.freeTcpPort();
    ChildProcess process;

    WorkerProc(String label, Cluster cluster, Map<String, String> extraEnv, List<String> jvmOptions) {
        this.label = label;
        this.cluster = cluster;
        this.extraEnv = Map.copyOf(extraEnv);
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    void start() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTION_SWAP_WORKER_ADDR", "127.0.0.1:" + udp);
        env.put("CONNECTION_SWAP_WORKER_LABEL", label);
        env.put("CONNECTION_SWAP_DIRECTOR_TARGET", "127.0.0.1:" + cluster.directorPort());
        env.put("CONNECTION_SWAP_TOKEN_INTERVAL", cluster.cfg().tokenInterval().toMillis() + "ms");
        env.put("CONNECTION_SWAP_CERTS_DIR", cluster.certs().toString());
        env.put("LOGGING_LEVEL_IO_CONNECTIONSWAP_WORKER_TOKENS", "WARN");
        env.putAll(extraEnv);
        process = new ChildProcess(label, cluster.jar("worker-service"), jvmOptions,
                env, http, cluster.logs().resolve(label + ".log")).start();
    }

    /** Starts it (again); if it dies at once (a port taken meanwhile), once more on fresh ports. */
    void startAndAwaitReady() {
        start();
        if (!Waits.poll(Duration.ofSeconds(120), () -> process.ready() || !process.isAlive())) {
            throw new IllegalStateException(label + " not ready after 120 s; log tail:\n" + process.logTail(20));
        }
        if (!process.isAlive()) {
            Console.say("%s exited at start (port taken?); retrying on new ports", label);
            udp = Ports.freeUdpPort();
            http = Ports.freeTcpPort();
            start();
            cluster.await(label + " ready", Duration.ofSeconds(120), process::ready);
        }
    }

    void stop(Duration grace) {
        if (process != null) {
            process.stop(grace);
        }
    }
}
