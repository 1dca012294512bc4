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
}
