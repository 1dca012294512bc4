package io.connectionswap.director.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.netty.channel.epoll.Epoll;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DirectorPropertiesTest {

    private static DirectorProperties with(String quicTransport, boolean busyPoll) {
        return TestDirectorProperties.of("d-test", Duration.ofMillis(300), quicTransport, busyPoll);
    }

    @Test
    void busyPollingIsOffByDefaultAndRefusedWithoutEpollNamingTheSettings() {
        assertThat(with("nio", false).busyPoll()).isFalse();
        assertThatThrownBy(() -> with("nio", true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CONNECTION_SWAP_BUSY_POLL=true needs the epoll transport (Linux, "
                        + "CONNECTION_SWAP_QUIC_TRANSPORT=auto or epoll); this director would run nio");
    }

    @Test
    void busyPollingOnEpoll() {
        assumeThat(Epoll.isAvailable()).as("native epoll loads here").isTrue();
        assertThat(with("epoll", true).busyPoll()).isTrue();
        assertThat(with("auto", true).busyPoll()).isTrue();
    }

    @Test
    void aBadAddressFailsAtBindingNamingItsSetting() {
        assertThatThrownBy(() -> TestDirectorProperties.withAddr("director"))
                .hasMessage("CONNECTION_SWAP_DIRECTOR_ADDR=director is not host:port (e.g. 127.0.0.1:61000)");
        assertThatThrownBy(() -> new DiscoveryProperties("workers.ns.svc", Duration.ofSeconds(5), 8081,
                "/actuator/health", Duration.ofSeconds(1)))
                .hasMessage("CONNECTION_SWAP_DISCOVERY_DNS=workers.ns.svc is not host:port (e.g. 127.0.0.1:61000)");
        assertThat(new DiscoveryProperties("", Duration.ofSeconds(5), 8081, "/actuator/health",
                Duration.ofSeconds(1)).enabled()).as("blank: discovery off, nothing to parse").isFalse();
    }
}
