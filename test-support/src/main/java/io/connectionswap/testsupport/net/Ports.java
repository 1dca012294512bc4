package io.connectionswap.testsupport.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free loopback ports, for a process whose port must be known before it starts (its environment names it): the
 * operating system picks a free port, the probe socket is closed, and the caller hands the number on. Never fixed
 * numbers. Another program may take the port between the probe and the start; ephemeral ports are many, so this
 * is rare, and the process then fails at bind with a clear error.
 */
public final class Ports {

    private Ports() {
    }

    /** A UDP port free on 127.0.0.1 just now (QUIC listeners). */
    public static int freeUdpPort() {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free UDP port on loopback", e);
        }
    }

    /** A TCP port free on 127.0.0.1 just now (HTTP and Actuator servers). */
    public static int freeTcpPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free TCP port on loopback", e);
        }
    }
}
