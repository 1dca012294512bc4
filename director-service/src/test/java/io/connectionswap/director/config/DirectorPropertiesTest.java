package io.connectionswap.director.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.netty.channel.epoll.Epoll;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DirectorPropertiesTest {

    private static DirectorProperties with(String quicTransport, boolean busyPoll) {
        return new DirectorProperties("127.0.0.1:0", "d-test", null, Duration.ofMillis(100), Duration.ofSeconds(1), 3,
                Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofSeconds(60), 3, true,
                quicTransport, true, 4, 1, true, true, busyPoll);
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
