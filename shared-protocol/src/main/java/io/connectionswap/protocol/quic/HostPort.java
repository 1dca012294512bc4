package io.connectionswap.protocol.quic;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code host:port} address as written in env vars ({@code 127.0.0.1:61000}, {@code director:61000},
 * {@code [::1]:61000}). Parsing fails with a message naming the setting.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is required");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }

    public static HostPort parse(String setting, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(setting + " is not set (expected host:port, e.g. 127.0.0.1:61000)");
        }
        String text = value.trim();
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(setting + "=" + value + " is not host:port (e.g. 127.0.0.1:61000)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + "=" + value + " has an invalid port (expected 0-65535)", e);
        }
    }

    /**
     * A comma-separated list of {@code host:port} (blanks around and between entries ignored), at least one; fails
     * naming the setting.
     */
    public static List<HostPort> parseList(String setting, String value) {
        if (value == null) {
            throw new IllegalArgumentException(setting + " is not set (expected host:port, e.g. 127.0.0.1:61000)");
        }
        List<HostPort> addresses = Arrays.stream(value.split(","))
                .map(String::trim)
                .filter(entry -> !entry.isEmpty())
                .map(entry -> parse(setting, entry))
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

    /** The host as it is written in a URI or a {@code host:port}: IPv6 literals in brackets. */
    public String uriHost() {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        return uriHost() + ":" + port;
    }
}
