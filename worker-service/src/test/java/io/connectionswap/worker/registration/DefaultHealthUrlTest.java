package io.connectionswap.worker.registration;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.quic.HostPort;
import java.net.URI;
import org.junit.jupiter.api.Test;

/**
 * The health URL a worker registers when none is set has a host whatever it advertises: on an IPv6 cluster
 * (Kubernetes' {@code $(POD_IP)} unbracketed) an {@code http://<ip>:8081/...} written by hand has none, and every
 * director refuses it, so the manifests leave it to this.
 */
class DefaultHealthUrlTest {

    @Test
    void anIpv6PodIpIsBracketedAndTheUrlHasItsHostAndPort() {
        HostPort advertised = HostPort.parse("CONNECTION_SWAP_WORKER_ADVERTISE", "fd00:10:244:1::5:62001");

        URI health = URI.create(DirectorRegistration.defaultHealthUrl(advertised, 8081));

        assertThat(health.getHost()).isEqualTo("[fd00:10:244:1::5]");
        assertThat(health.getPort()).isEqualTo(8081);
        assertThat(health.getPath()).isEqualTo("/actuator/health");
    }

    @Test
    void aNameOrAnIpv4AddressIsUsedAsItIsAndEveryInterfaceMeansLoopback() {
        assertThat(DirectorRegistration.defaultHealthUrl(new HostPort("worker-0.workers", 62001), 8081))
                .isEqualTo("http://worker-0.workers:8081/actuator/health");
        assertThat(DirectorRegistration.defaultHealthUrl(new HostPort("10.244.1.5", 62001), 8081))
                .isEqualTo("http://10.244.1.5:8081/actuator/health");
        assertThat(DirectorRegistration.defaultHealthUrl(new HostPort("0.0.0.0", 62001), 8081))
                .isEqualTo("http://127.0.0.1:8081/actuator/health");
    }

    /** A worker bound to every IPv6 interface ({@code [::]:62001}) was polled at {@code http://[::]:8081}. */
    @Test
    void everyIpv6InterfaceMeansLoopbackToo() {
        HostPort everyInterface = HostPort.parse("CONNECTION_SWAP_WORKER_ADDR", "[::]:62001");

        assertThat(everyInterface.isAnyAddress()).isTrue();
        assertThat(DirectorRegistration.defaultHealthUrl(everyInterface, 8081))
                .isEqualTo("http://127.0.0.1:8081/actuator/health");
    }
}
