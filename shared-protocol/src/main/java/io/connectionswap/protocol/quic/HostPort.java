package io.connectionswap.protocol.quic;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code host:port} address as written in env vars ({@code 127.0.0.1:61000}, {@code director:61000},
 * {@code [::1]:61000}). Parsing fails with a message naming the setting. An IPv6 literal is kept in its one canonical
 * form (RFC 5952: compressed, lower case), so that two spellings of one address are one address: a worker registered
 * as {@code [fd00:10:244:1::5]:62001} and found through DNS as {@code fd00:10:244:1:0:0:0:5} (Java's
 * {@code getHostAddress}) were two workers.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is required");
        }
        if (host.indexOf(':') >= 0) {
            byte[] ipv6 = NetUtil.createByteArrayFromIpAddressString(host);
            if (ipv6 != null) {
                host = NetUtil.bytesToIpAddress(ipv6);
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }

    /** The lowest port of an address to dial: port 0 means "a free port" only when binding. */
    public static final int LOWEST_DIAL_PORT = 1;

    /** {@code host:port} with any port (0: a free one, for an address to bind); fails naming the setting. */
    public static HostPort parse(String setting, String value) {
        return parse(setting, value, 0);
    }

    /**
     * {@code host:port} with a port from {@code lowestPort} to 65535 ({@link #LOWEST_DIAL_PORT} for an address to
     * dial); fails naming the setting and saying what was expected.
     */
    public static HostPort parse(String setting, String value, int lowestPort) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(setting + " is not set (expected host:port, e.g. 127.0.0.1:61000)");
        }
        String text = value.trim();
        if (text.contains("://")) {
            throw new IllegalArgumentException(setting + "=" + value + " is a URL, not host:port (e.g. "
                    + "127.0.0.1:61000, without a scheme)");
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(setting + "=" + value + " is not host:port (e.g. 127.0.0.1:61000)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException(setting + "=" + value + " has an empty host (expected host:port, e.g. "
                    + "127.0.0.1:61000)");
        }
        if (host.indexOf(':') >= 0 && !NetUtil.isValidIpV6Address(host)) {
            // fd00::5 (an IPv6 address without a port) would be host "fd00:" and port 5
            throw new IllegalArgumentException(setting + "=" + value + " has a host with a colon that is no IPv6 "
                    + "address (expected host:port; an IPv6 address in brackets: [fd00::5]:61000)");
        }
        String portText = text.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw invalidPort(setting + "=" + value, portText, lowestPort);
        }
        if (port < lowestPort || port > 65535) {
            throw invalidPort(setting + "=" + value, port, lowestPort);
        }
        return new HostPort(host, port);
    }

    /** This address, when its port is {@code lowestPort} or above; else fails saying so, naming {@code setting}. */
    public HostPort checkPort(String setting, int lowestPort) {
        if (port < lowestPort) {
            throw invalidPort(setting, port, lowestPort);
        }
        return this;
    }

    private static IllegalArgumentException invalidPort(String setting, Object port, int lowestPort) {
        return new IllegalArgumentException(setting + " has an invalid port: " + port + " (expected: " + lowestPort
                + "-65535)");
    }

    /**
     * A comma-separated list of {@code host:port} (blanks around and between entries ignored), at least one; fails
     * naming the setting.
     */
    public static List<HostPort> parseList(String setting, String value) {
        return parseList(setting, value, 0);
    }

    /**
     * As {@link #parseList(String, String)}, each port from {@code lowestPort}; see
     * {@link #parse(String, String, int)}.
     */
    public static List<HostPort> parseList(String setting, String value, int lowestPort) {
        if (value == null) {
            throw new IllegalArgumentException(setting + " is not set (expected host:port, e.g. 127.0.0.1:61000)");
        }
        List<HostPort> addresses = Arrays.stream(value.split(","))
                .map(String::trim)
                .filter(entry -> !entry.isEmpty())
                .map(entry -> parse(setting, entry, lowestPort))
                .toList();
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException(setting + " is empty (expected host:port, e.g. 127.0.0.1:61000)");
        }
        return addresses;
    }

    /** Resolves the host now (DNS lookups happen here, never on an event loop path that matters). */
    public InetSocketAddress resolve() {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host " + host);
        }
        return address;
    }

    public HostPort withPort(int newPort) {
        return new HostPort(host, newPort);
    }

    /** Whether the host is the address of every interface, IPv4's {@code 0.0.0.0} or IPv6's {@code ::}. */
    public boolean isAnyAddress() {
        return "0.0.0.0".equals(host) || "::".equals(host);
    }

    /** The host as it is written in a URI or a {@code host:port}: IPv6 literals in brackets. */
    public String uriHost() {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        return uriHost() + ":" + port;
    }
}
