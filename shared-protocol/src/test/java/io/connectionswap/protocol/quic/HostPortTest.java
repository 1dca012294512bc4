package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertThat(HostPort.parse("X", "127.0.0.1:61000")).isEqualTo(new HostPort("127.0.0.1", 61000));
        assertThat(HostPort.parse("X", "director:61000")).isEqualTo(new HostPort("director", 61000));
        assertThat(HostPort.parse("X", "[::1]:61000")).isEqualTo(new HostPort("::1", 61000));
        assertThat(new HostPort("::1", 5).toString()).isEqualTo("[::1]:5");
    }

    @Test
    void namesTheSettingWhenInvalid() {
        assertThatThrownBy(() -> HostPort.parse("CONNECTION_SWAP_WORKER_ADDR", null))
                .hasMessageContaining("CONNECTION_SWAP_WORKER_ADDR is not set");
        assertThatThrownBy(() -> HostPort.parse("CONNECTION_SWAP_DIRECTOR_ADDR", "localhost"))
                .hasMessageContaining("CONNECTION_SWAP_DIRECTOR_ADDR=localhost is not host:port");
        assertThatThrownBy(() -> HostPort.parse("CONNECTION_SWAP_DIRECTOR_ADDR", "localhost:99999"))
                .hasMessageContaining("invalid port");
    }
}
