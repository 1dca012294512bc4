package io.connectionswap.testsupport.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void aFreeUdpPortCanBeBoundOnLoopback() throws Exception {
        int port = Ports.freeUdpPort();

        assertThat(port).isBetween(1, 65535);
        try (DatagramSocket socket = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void aFreeTcpPortCanBeListenedOnLoopback() throws Exception {
        int port = Ports.freeTcpPort();

        assertThat(port).isBetween(1, 65535);
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void aPortInUseIsNotHandedOut() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             DatagramSocket takenUdp = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 20; i++) {
                assertThat(Ports.freeTcpPort()).isNotEqualTo(taken.getLocalPort());
                assertThat(Ports.freeUdpPort()).isNotEqualTo(takenUdp.getLocalPort());
            }
        }
    }

    @Test
    void portsComeFromBelowTheEphemeralRangeAndAreNeverHandedOutTwice() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int tcp = Ports.freeTcpPort();
            int udp = Ports.freeUdpPort();

            assertThat(tcp).isBetween(Ports.LOWEST, Ports.ephemeralLow() - 1);
            assertThat(udp).isBetween(Ports.LOWEST, Ports.ephemeralLow() - 1);
            assertThat(seen.add(tcp)).as("TCP port %d handed out twice", tcp).isTrue();
            assertThat(seen.add(udp)).as("UDP port %d handed out twice", udp).isTrue();
        }
    }
}
