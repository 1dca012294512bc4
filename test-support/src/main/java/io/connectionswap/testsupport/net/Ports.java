package io.connectionswap.testsupport.net;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;

/**
 * Free loopback ports, for a process whose port must be known before it starts (its environment names it). Never
 * fixed numbers: a random port is probed by binding it, and handed out once per JVM.
 *
 * <p>The ports come from below the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}). Asking the
 * kernel for port 0 would give an ephemeral port, and between the probe and the child's bind the same number may
 * be given to any outgoing connection on the machine (a health probe, a metrics scrape), which then fails the
 * child with "address already in use". Below that range the kernel hands out nothing by itself; only a program
 * that binds a fixed number could take the port meanwhile.
 */
public final class Ports {

    /** The lowest port handed out: above the registered services most machines run. */
    static final int LOWEST = 10_000;
    private static final int ATTEMPTS = 200;
    private static final int EPHEMERAL_LOW = readEphemeralLow();
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {
    }

    /** A UDP port free on 127.0.0.1 just now (QUIC listeners). */
    public static int freeUdpPort() {
        return freePort("UDP", Ports::udpFree);
    }

    /** A TCP port free on 127.0.0.1 just now (HTTP and Actuator servers). */
    public static int freeTcpPort() {
        return freePort("TCP", Ports::tcpFree);
    }

    /** The first port of the kernel's ephemeral range, read once per JVM. */
    static int ephemeralLow() {
        return EPHEMERAL_LOW;
    }

    /** The first port of the kernel's ephemeral range (32768 when it cannot be read: Linux's default). */
    private static int readEphemeralLow() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        try {
            int low = Integer.parseInt(Files.readString(range).trim().split("\\s+")[0]);
            return low > LOWEST + 1_000 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    private static synchronized int freePort(String protocol, IntPredicate isFree) {
        int high = EPHEMERAL_LOW;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, high);
            if (!HANDED_OUT.contains(port) && isFree.test(port)) {
                HANDED_OUT.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free " + protocol + " port on loopback between " + LOWEST + " and "
                + high + " after " + ATTEMPTS + " attempts");
    }

    private static boolean udpFree(int port) {
        try (DatagramSocket ignored = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean tcpFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
