package io.connectionswap.director.health;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerSource;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** What the director says of health URLs that cannot work as configured, across a fleet. */
class HealthUrlProblemsTest {

    /**
     * A fleet-wide mistake (the director's trust store lacks the CA of every worker's HTTPS health URL) fails every
     * poll of every worker the same way. Each worker's problem is said once; with more workers than the problems
     * remembered (256), each poll round evicted the problems the next round needed, so every poll of every worker
     * was a first one again: a WARN per worker per poll interval (600 a second for 300 workers at 500 ms).
     */
    @Test
    void aTlsFailureOfEveryWorkerOfALargeFleetIsSaidOncePerWorkerNotAtEveryPoll() {
        List<WorkerEndpoint> fleet = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            fleet.add(new WorkerEndpoint("worker-" + i, new HostPort("10.0." + i / 250 + "." + i % 250, 8443),
                    URI.create("https://10.0." + i / 250 + "." + i % 250 + ":8081/actuator/health"),
                    Duration.ofMillis(50), "i-" + i, "10.0.0.1", WorkerSource.DNS, List.of("stand-in")));
        }
        try (CapturedLogs logs = CapturedLogs.of("test.health-url-problems")) {
            HealthUrlProblems problems = new HealthUrlProblems(logs.logger());
            SSLHandshakeException untrusted = new SSLHandshakeException("PKIX path building failed");
            for (int round = 0; round < 3; round++) {
                fleet.forEach(worker -> problems.tlsFailed(worker, untrusted));
            }

            assertThat(logs.events().stream().filter(event -> event.getLevel() == Level.WARN).count())
                    .as("one WARN per worker, however many poll rounds met the problem").isEqualTo(fleet.size());
        }
    }

    /**
     * A worker found through DNS has the health URL the director builds (http, CONNECTION_SWAP_DISCOVERY_HEALTH_PORT,
     * connection-swap.discovery.health-path), not one it advertises: its redirect is fixed in the director's settings.
     * The WARN told the operator to set the worker's CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL, which such a worker's
     * URL never comes from.
     */
    @Test
    void aRedirectOfAWorkerFoundThroughDnsNamesTheDirectorsSettingNotTheWorkers() {
        WorkerEndpoint found = new WorkerEndpoint("10.0.0.7:4433", new HostPort("10.0.0.7", 4433),
                URI.create("http://10.0.0.7:8081/actuator/health"), Duration.ofSeconds(1), "dns", "10.0.0.7",
                WorkerSource.DNS, List.of());
        WorkerEndpoint registered = new WorkerEndpoint("worker-b", new HostPort("10.0.0.8", 4433),
                URI.create("http://10.0.0.8:8081/actuator/health"), Duration.ofSeconds(1), "i-1", "10.0.0.8",
                WorkerSource.REGISTRATION, List.of("stand-in"));
        try (CapturedLogs logs = CapturedLogs.of("test.health-url-problems")) {
            HealthUrlProblems problems = new HealthUrlProblems(logs.logger());
            problems.redirected(found, 301, "https://10.0.0.7:8443/actuator/health");
            problems.redirected(registered, 301, "https://10.0.0.8:8443/actuator/health");

            List<String> lines = logs.events().stream().map(event -> event.getFormattedMessage()).toList();
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).contains("CONNECTION_SWAP_DISCOVERY_HEALTH_PORT")
                    .doesNotContain("CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL");
            assertThat(lines.get(1)).contains("CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL");
        }
    }
}
