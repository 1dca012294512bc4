package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.worker.registration.DirectorRegistration;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Start-up failures say what is wrong; a worker registers again when the director comes back, and registers the
 * port Actuator really answers on.
 */
class LifecycleTest {

    @Test
    void directorRefusesToStartOnAnAddressInUse() {
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            cluster.startDirector();
            int taken = cluster.directorPort();
            assertThatThrownBy(() -> new InJvmCluster("20ms").startDirector("--CONNECTION_SWAP_DIRECTOR_ADDR=127.0.0.1:" + taken))
                    .hasStackTraceContaining("director cannot bind QUIC server to udp/127.0.0.1:" + taken
                            + ": BindException: Address already in use (is another process using this port?)");
        }
    }

    @Test
    void missingCertificatesAreNamedAtStartUp(@TempDir Path empty) {
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            assertThatThrownBy(() -> cluster.startDirector("--CONNECTION_SWAP_CERTS_DIR=" + empty))
                    .rootCause()
                    .hasMessageContaining(empty.resolve("director.pem").toString())
                    .hasMessageContaining("no such file");
        }
    }

    @Test
    void workerWithoutAnAddressSaysWhichSettingIsMissing() {
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            cluster.startDirector();
            assertThatThrownBy(() -> cluster.startWorker("worker-x", 0, "--CONNECTION_SWAP_WORKER_ADDR="))
                    .rootCause()
                    .hasMessageContaining("CONNECTION_SWAP_WORKER_ADDR is not set");
        }
    }

    @Test
    void workerRegistersAgainWhenTheDirectorRestarts() {
        int directorPort = Ports.freeUdpPort();
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            ConfigurableApplicationContext director =
                    cluster.startDirector("--CONNECTION_SWAP_DIRECTOR_ADDR=127.0.0.1:" + directorPort);
            ConfigurableApplicationContext worker = cluster.startWorker("worker-a", 0);
            DirectorRegistration registration = worker.getBean(DirectorRegistration.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.registry().size() == 1);

            cluster.stop(director);
            await().atMost(Duration.ofSeconds(30)).until(() -> !registration.isRegistered());
            cluster.startDirector("--CONNECTION_SWAP_DIRECTOR_ADDR=127.0.0.1:" + directorPort);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.registry().size() == 1 && registration.isRegistered());
            assertThat(cluster.registry().workers().get(0).instanceId()).isEqualTo(registration.instanceId());
        }
    }

    @Test
    void aWorkerWithActuatorOnItsOwnPortIsPolledThereAndTurnsHealthy() {
        int managementPort = Ports.freeTcpPort();
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            cluster.startDirector();
            cluster.startWorker("worker-a", 0, "--management.server.port=" + managementPort);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.registry().size() == 1);
            assertThat(cluster.registry().workers().get(0).healthUrl().getPort())
                    .as("the health URL the worker registered").isEqualTo(managementPort);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.registry().healthyCount() == 1);
        }
    }
}
