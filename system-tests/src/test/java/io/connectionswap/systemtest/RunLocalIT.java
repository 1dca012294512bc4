package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.net.LoopbackHttp;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.process.Launch;
import io.connectionswap.testsupport.process.ManagedProcess;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The README's run command, {@code ./run-local.sh}, as a user runs it: the script itself in its own process, on free
 * ports, starting the four roles from the built jars. A run comes up, swaps worker-a's stream to worker-b and stops on
 * SIGTERM with every role gone; a SIGTERM while the script is still starting roles stops those it started and ends
 * the script, rather than letting it go on to start the client (which then outlived the script and held its port);
 * a role that exits while the others start (here: its QUIC port is taken) ends the run with its name and status 1.
 *
 * <p>Every java command line the script starts carries a marker of this test ({@code JAVA_OPTS}), so that a role the
 * script left behind is found among all the machine's processes even after the script exited.
 */
class RunLocalIT {

    private static final Duration START_DEADLINE = Duration.ofSeconds(120);
    private static final Duration STOP_DEADLINE = Duration.ofSeconds(60);
    private static final String WAITING_FOR_WORKERS = "[run-local] waiting (up to 2 min) for the director";

    private final String marker = "-Dconnection-swap.run-local-it=" + UUID.randomUUID();
    private final int directorHttp = Ports.freeTcpPort();
    private final int clientHttp = Ports.freeTcpPort();
    private ManagedProcess script;

    @AfterEach
    void stopWhatIsLeft() {
        if (script != null) {
            script.stop(STOP_DEADLINE);
        }
        rolesOfThisTest().forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void aRunComesUpSwapsAndStopsWithEveryRole(TestInfo test) {
        script = startScript(test, Map.of("WORKER_A_FAIL_AFTER", "3s"));
        await("the client's readiness on port " + clientHttp + " (as the README says, once both workers are healthy)")
                .atMost(START_DEADLINE).pollInterval(Duration.ofMillis(250))
                .until(() -> scriptLogOrFail().contains("[run-local] running;")
                        && LoopbackHttp.getOk(clientHttp, "/actuator/health/readiness") != null);
        assertThat(rolesOfThisTest()).as("director, worker-a, worker-b and the client, each with the marker")
                .hasSize(4);

        await("the client's first swap (worker-a turns DOWN 3 s after it first served)").atMost(START_DEADLINE)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> clientMetrics().sum("connection_swap_client_swaps_total") >= 1);
        PrometheusText client = clientMetrics();
        assertThat(client.sum("connection_swap_client_sequence_errors_total"))
                .as("no token lost or repeated across the swap").isZero();
        assertThat(client.sum("connection_swap_client_reconnects_total")).as("one connection to the director")
                .isZero();
        assertThat(script.logText()).contains("requesting another worker", "asking client to retry on next worker");

        stopAndExpectNothingLeft();
        assertThat(LoopbackHttp.getOk(clientHttp, "/actuator/health")).as("the client's port is free again").isNull();
        assertThat(script.logText()).as("the client stops before its director, so it never tries to reconnect")
                .doesNotContain("lost connection to director", "cannot reach director (is it running?)");
        // a stopping director once logged Netty's warnings with stack traces, from links closing on stopped loops
        assertThat(script.logLines(" ERROR ")).as("ERROR lines of the run, the stop included").isEmpty();
        assertThat(script.logLines("\tat ")).as("stack trace lines of the run, the stop included").isEmpty();
    }

    @Test
    void aSignalWhileRolesStartStopsThoseStartedAndEndsTheScript(TestInfo test) {
        script = startScript(test, Map.of("WORKER_A_FAIL_AFTER", ""));
        await("the script waiting for the workers' health (director and workers started, client not yet)")
                .atMost(START_DEADLINE).pollInterval(Duration.ofMillis(50))
                .until(() -> scriptLogOrFail().contains(WAITING_FOR_WORKERS));

        stopAndExpectNothingLeft();
        assertThat(script.logText()).as("the script ended where it was, without starting the client")
                .doesNotContain("[run-local] running;");
    }

    @Test
    void aRoleThatCannotStartEndsTheRunWithItsName(TestInfo test) throws IOException {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            script = startScript(test, Map.of("WORKER_B_ADDR", "127.0.0.1:" + taken.getLocalPort()));
            await("the script's end once worker-b exits (its QUIC port is taken)").atMost(START_DEADLINE)
                    .pollInterval(Duration.ofMillis(250)).until(() -> {
                        failOnBuild(script.logText());
                        return !script.isAlive();
                    });
        }
        assertThat(script.process().exitValue()).as("a failed run's exit status").isEqualTo(1);
        assertThat(script.logText()).contains("[run-local] worker-b exited with status 1 while starting",
                "[run-local] stopped").doesNotContain("[run-local] running;");
        assertThat(script.logText()).as("worker-b's own report: what failed and what to change")
                .contains("APPLICATION FAILED TO START", "worker worker-b cannot bind QUIC server to udp/127.0.0.1:",
                        "Stop it, or set CONNECTION_SWAP_WORKER_ADDR to a free port.");
        assertThat(rolesOfThisTest()).as("roles still running after the script ended; its log:\n" + script.logTail(40))
                .isEmpty();
    }

    private void stopAndExpectNothingLeft() {
        script.sigterm();
        assertThat(script.waitForExit(STOP_DEADLINE))
                .as("the script ends within " + STOP_DEADLINE + " of SIGTERM; its log:\n" + script.logTail(40))
                .isTrue();
        assertThat(script.process().exitValue()).as("the script's status after SIGTERM").isEqualTo(143);
        assertThat(script.logText()).contains("[run-local] stopping", "[run-local] stopped");
        assertThat(rolesOfThisTest()).as("roles still running after the script ended; its log:\n" + script.logTail(40))
                .isEmpty();
    }

    /** The script on free ports, worker-a failing after 15 s unless {@code settings} say otherwise. */
    private ManagedProcess startScript(TestInfo test, Map<String, String> settings) {
        Path root = ProcessCluster.repositoryRoot();
        RepositoryPki.certs();
        Path log = ProcessCluster.freshLogDirectory("RunLocalIT/" + test.getTestMethod().orElseThrow().getName())
                .resolve("run-local.log");
        Map<String, String> environment = new HashMap<>();
        environment.put("JAVA_OPTS", String.join(" ", ServiceProcess.JVM_OPTIONS) + " " + marker);
        environment.put("DIRECTOR_HTTP_PORT", String.valueOf(directorHttp));
        environment.put("WORKER_A_HTTP_PORT", String.valueOf(Ports.freeTcpPort()));
        environment.put("WORKER_B_HTTP_PORT", String.valueOf(Ports.freeTcpPort()));
        environment.put("CLIENT_HTTP_PORT", String.valueOf(clientHttp));
        environment.put("CONNECTION_SWAP_DIRECTOR_ADDR", "127.0.0.1:" + Ports.freeUdpPort());
        environment.put("WORKER_A_ADDR", "127.0.0.1:" + Ports.freeUdpPort());
        environment.put("WORKER_B_ADDR", "127.0.0.1:" + Ports.freeUdpPort());
        environment.put("CONNECTION_SWAP_TOKEN_INTERVAL", "100ms");
        environment.putAll(settings);
        Launch launch = new Launch("run-local.sh", List.of("bash", root.resolve("run-local.sh").toString()),
                environment, Launch.SERVICE_SETTINGS, root, log);
        return new ManagedProcess(launch).start();
    }

    /**
     * The script's log; fails at once when the script exited before the awaited line (it refused to start), or when it
     * builds the jars: a build inside this one would rewrite the modules' target directories under the running tests
     * (the test's {@code @AfterEach} then stops it).
     */
    private String scriptLogOrFail() {
        String text = script.logText();
        if (!script.isAlive()) {
            throw new AssertionError("run-local.sh exited with " + script.process().exitValue() + ":\n"
                    + script.logTail(40));
        }
        failOnBuild(text);
        return text;
    }

    private static void failOnBuild(String scriptLog) {
        if (scriptLog.contains("[run-local] building jars")) {
            throw new AssertionError("run-local.sh found a jar older than its sources and started a build; build the"
                    + " service jars first (./mvnw install -DskipTests), then run this test");
        }
    }

    private PrometheusText clientMetrics() {
        String body = LoopbackHttp.getOk(clientHttp, "/actuator/prometheus");
        return PrometheusText.parse(body == null ? "" : body);
    }

    /** The java processes started by this test's script, found by the marker on their command lines. */
    private List<ProcessHandle> rolesOfThisTest() {
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(process -> process.info().arguments().map(List::of).orElse(List.of()).contains(marker))
                .toList();
    }
}
