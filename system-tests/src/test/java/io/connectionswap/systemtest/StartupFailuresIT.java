package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A role that cannot start says why and what to change, as Boot's "APPLICATION FAILED TO START" report, and exits 1:
 * the real jars as processes, with the settings users get wrong.
 */
@ExtendWith(DumpLogsOnFailure.class)
class StartupFailuresIT {

    /** What Boot logs, with a stack trace, for a failure no analyzer explains. */
    private static final String UNEXPLAINED = "Application run failed";

    @AutoClose
    private ProcessCluster cluster;

    @Test
    void aDirectorWhosePortIsTakenNamesThePortTheHolderCommandAndTheSetting(TestInfo test) throws Exception {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        int port = cluster.directorQuicPort();
        InetSocketAddress taken = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        try (DatagramSocket holder = new DatagramSocket(taken)) {
            String report = failedStart(cluster.startDirector());
            assertThat(report)
                    .contains("director cannot bind QUIC server to udp/127.0.0.1:" + port
                            + ": BindException: Address already in use")
                    .contains("Another socket holds udp port " + port + " on 127.0.0.1")
                    .contains("ss -ulpn 'sport = :" + port + "'")
                    .contains("Stop it, or set CONNECTION_SWAP_DIRECTOR_ADDR to a free port.");
        }
    }

    @Test
    void aWorkerAddressThatIsNotHostPortIsNamedBeforeAnythingStarts(TestInfo test) {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        String report = failedStart(cluster.startWorker("worker-a", "CONNECTION_SWAP_WORKER_ADDR=worker-a"));
        assertThat(report)
                .contains("Failed to bind properties under 'connection-swap.worker'")
                .contains("CONNECTION_SWAP_WORKER_ADDR=worker-a is not host:port (e.g. 127.0.0.1:61000)");
    }

    @Test
    void aClientDirectorTargetThatIsNotHostPortIsNamedBeforeAnythingStarts(TestInfo test) {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        String report = failedStart(cluster.startClient("CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:61000,director"));
        assertThat(report)
                .contains("Failed to bind properties under 'connection-swap.client'")
                .contains("(CONNECTION_SWAP_DIRECTOR_TARGET in client-service)=director is not host:port");
    }

    /** Waits for the process to exit 1 with Boot's failure report and no unexplained failure; returns the log. */
    private static String failedStart(ServiceProcess process) {
        assertThat(process.waitForExit(ProcessCluster.STARTUP)).as(process + " exits").isTrue();
        assertThat(process.process().exitValue()).as(process + " exit status").isEqualTo(1);
        String log = process.logText();
        assertThat(log).as(process + " log").contains("APPLICATION FAILED TO START").contains("Action:")
                .doesNotContain(UNEXPLAINED);
        return log;
    }
}
