package io.connectionswap.bench;

import io.connectionswap.testsupport.net.Ports;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/** The bench JVM's handle on a {@link DirectRelayClient} process: start it, run a segment, read its latencies. */
final class DirectRelayProcess implements AutoCloseable {

    /** A segment: opening its streams (up to 30 s), recording, resetting them. */
    private static final Duration SEGMENT_SLACK = Duration.ofSeconds(60);

    private final ChildProcess process;

    private DirectRelayProcess(ChildProcess process) {
        this.process = process;
    }

    static DirectRelayProcess start(Cluster cluster) {
        int port = Ports.freeTcpPort();
        String workers = cluster.inJvm().stream().map(w -> String.valueOf(w.quicPort())).collect(Collectors.joining(","));
        ChildProcess process = ChildProcess.javaMain("direct-relay-client", List.of("-Xms256m", "-Xmx1g"),
                DirectRelayClient.class.getName(), List.of("--port=" + port, "--certs=" + cluster.certs(),
                        "--workers=" + workers, "--streams=" + cluster.cfg().relayStreams(),
                        "--rcvbuf=" + cluster.cfg().clientRcvbuf()), port,
                cluster.logs().resolve("direct-relay-client.log")).start();
        Waits.await("the direct relay client answers /health", Duration.ofSeconds(60),
                () -> !process.isAlive() || process.get("/health") != null, null);
        if (!process.isAlive()) {
            throw new IllegalStateException("the direct relay client exited at start:\n" + process.logTail(20));
        }
        return new DirectRelayProcess(process);
    }

    long pid() {
        return process.pid();
    }

    /** Runs one segment of {@code length} in the client's process; its latencies (ns) and problems. */
    RelayPhase.SegmentResult segment(Duration length) {
        if (process.get("/segment?seconds=" + length.toSeconds()) == null) {
            throw new IllegalStateException("the direct relay client did not start a segment:\n" + process.logTail(20));
        }
        String[] body = new String[1];
        Waits.await("the direct relay client's segment", length.plus(SEGMENT_SLACK), () -> {
            if (!process.isAlive()) {
                return true;
            }
            body[0] = process.get("/result");
            return body[0] != null;
        }, () -> process.logTail(20));
        if (body[0] == null) {
            throw new IllegalStateException("the direct relay client died in a segment:\n" + process.logTail(20));
        }
        long problems = 0;
        Histogram latencies = null;
        for (String line : body[0].split("\n")) {
            if (line.startsWith("problems=")) {
                problems = Long.parseLong(line.substring(9));
            } else if (line.startsWith("latencies=")) {
                latencies = DirectRelayClient.decode(line.substring(10));
            }
        }
        if (latencies == null) {
            throw new IllegalStateException("the direct relay client's answer has no latencies: " + body[0]);
        }
        return new RelayPhase.SegmentResult(latencies, problems);
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(5));
    }
}
