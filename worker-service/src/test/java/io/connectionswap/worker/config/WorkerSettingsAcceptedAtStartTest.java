package io.connectionswap.worker.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/**
 * Worker settings accepted at start that the worker can never work with. Addresses the worker dials or tells the
 * director to dial are parsed as addresses to bind (port 0 allowed), unlike the client's
 * {@code CONNECTION_SWAP_DIRECTOR_TARGET} (swap-client: {@code HostPort.LOWEST_DIAL_PORT}); the label is not
 * checked against what the director accepts.
 */
class WorkerSettingsAcceptedAtStartTest {

    private static WorkerProperties worker(String advertise, String directorTarget) {
        return worker(advertise, directorTarget, "worker");
    }

    private static WorkerProperties worker(String advertise, String directorTarget, String label) {
        return new WorkerProperties("127.0.0.1:0", advertise, null, label, Duration.ofSeconds(1), null,
                Duration.ofSeconds(10), directorTarget, true, Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(3500), 1, DataSize.ofMegabytes(4));
    }

    /**
     * {@code CONNECTION_SWAP_DIRECTOR_TARGET=director:0} is accepted: the worker dials port 0 forever (retrying with
     * backoff) and never registers; the client refuses the same value at start.
     */
    @Test
    void aDirectorTargetWithPortZeroFailsAtBindingNamingItsSetting() {
        assertThatThrownBy(() -> worker(null, "127.0.0.1:0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_DIRECTOR_TARGET");
    }

    /**
     * {@code CONNECTION_SWAP_WORKER_ADVERTISE=worker-a:0} is accepted and advertised as is
     * ({@code advertisedAddress} returns port 0, not the bound port): the director registers a worker it can never
     * dial.
     */
    @Test
    void anAdvertisedAddressWithPortZeroFailsAtBindingNamingItsSetting() {
        assertThatThrownBy(() -> worker("worker-a:0", "127.0.0.1:61000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_WORKER_ADVERTISE");
    }

    /**
     * {@code CONNECTION_SWAP_WORKER_LABEL="gpu node 1"} (or {@code gpu/1}, or more than 64 characters) is accepted at
     * start, but every director refuses the registration ({@code RegistrationValidator}: 1 to 64 letters, digits,
     * '.', '_', ':' or '-'): the worker runs, healthy, and never serves a stream, retrying the refused registration
     * every 30 s (DirectorSession.REFUSED_RETRY).
     */
    @Test
    void aLabelTheDirectorRefusesFailsAtBindingNamingItsSetting() {
        assertThatThrownBy(() -> worker(null, "127.0.0.1:61000", "gpu node 1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_WORKER_LABEL");
        assertThatThrownBy(() -> worker(null, "127.0.0.1:61000", "w".repeat(65)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONNECTION_SWAP_WORKER_LABEL");
    }
}
