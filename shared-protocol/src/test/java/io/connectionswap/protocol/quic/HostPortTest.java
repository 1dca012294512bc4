package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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

    @Test
    void anAddressToDialNeedsAPortFromOneAndEveryAddressAHost() {
        assertThat(HostPort.parse("X", "127.0.0.1:0")).as("to bind: a free port").isEqualTo(new HostPort("127.0.0.1", 0));
        assertThatThrownBy(() -> HostPort.parse("X", "127.0.0.1:0", HostPort.LOWEST_DIAL_PORT))
                .hasMessage("X=127.0.0.1:0 has an invalid port: 0 (expected: 1-65535)");
        assertThatThrownBy(() -> HostPort.parse("X", "127.0.0.1:-5"))
                .hasMessage("X=127.0.0.1:-5 has an invalid port: -5 (expected: 0-65535)");
        assertThatThrownBy(() -> HostPort.parse("X", "[]:5")).as("not an invalid port")
                .hasMessage("X=[]:5 has an empty host (expected host:port, e.g. 127.0.0.1:61000)");
        assertThatThrownBy(() -> new HostPort("h", 0).checkPort("Y", HostPort.LOWEST_DIAL_PORT))
                .hasMessage("Y has an invalid port: 0 (expected: 1-65535)");
    }

    @Test
    void aListIsCommaSeparatedWithBlanksIgnoredAndNeedsOneAddress() {
        assertThat(HostPort.parseList("X", " 127.0.0.1:1, director:2 ,,[::1]:3"))
                .containsExactly(new HostPort("127.0.0.1", 1), new HostPort("director", 2), new HostPort("::1", 3));
        assertThat(HostPort.parseList("X", "director:61000")).isEqualTo(List.of(new HostPort("director", 61000)));
        assertThatThrownBy(() -> HostPort.parseList("CONNECTION_SWAP_DIRECTOR_TARGET", null))
                .hasMessageStartingWith("CONNECTION_SWAP_DIRECTOR_TARGET is not set");
        assertThatThrownBy(() -> HostPort.parseList("CONNECTION_SWAP_DIRECTOR_TARGET", " , "))
                .hasMessageStartingWith("CONNECTION_SWAP_DIRECTOR_TARGET is empty");
        assertThatThrownBy(() -> HostPort.parseList("CONNECTION_SWAP_DIRECTOR_TARGET", "director:1,director"))
                .hasMessageStartingWith("CONNECTION_SWAP_DIRECTOR_TARGET=director is not host:port");
    }

    @Test
    void anIpv6LiteralHasOneSpellingWhateverItWasGivenIn() {
        HostPort registered = HostPort.parse("CONNECTION_SWAP_WORKER_ADVERTISE", "[fd00:10:244:1::5]:62001");
        HostPort resolved = new HostPort("fd00:10:244:1:0:0:0:5", 62001); // InetAddress.getHostAddress()
        HostPort upperCase = HostPort.parse("x", "[FD00:10:244:1:0:0:0:5]:62001");

        assertThat(resolved).isEqualTo(registered).isEqualTo(upperCase);
        assertThat(resolved.toString()).isEqualTo("[fd00:10:244:1::5]:62001");
        assertThat(new HostPort("0:0:0:0:0:0:0:1", 1).host()).isEqualTo("::1");
        assertThat(new HostPort("worker-a", 1).host()).as("a name as it is").isEqualTo("worker-a");
        assertThat(new HostPort("10.0.0.7", 1).host()).isEqualTo("10.0.0.7");
    }
}
