package io.connectionswap.protocol.dns;

import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.resolver.dns.UnixResolverDnsServerAddressStreamProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The DNS servers a {@link HostResolver} asks: those of the system's {@code resolv.conf} (Netty's parser:
 * {@code nameserver} lines, {@code options rotate}), or, when it lists none (or cannot be read), the name server on
 * the local machine, {@code 127.0.0.1:53}: what the C library does in that case ({@code resolv.conf(5)}). The
 * fallback is reported by {@link #fallbackReason()} so the resolver can say so in its log line.
 */
public final class NameServers {

    /** The system's resolver configuration. */
    public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    /** Where the C library looks when {@code resolv.conf} names no server. */
    public static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 53);

    private final DnsServerAddressStreamProvider provider;
    private final List<InetSocketAddress> servers;
    private final String source;
    private final String fallbackReason;
    private final boolean systemSearch;

    private NameServers(DnsServerAddressStreamProvider provider, List<InetSocketAddress> servers, String source,
                        String fallbackReason, boolean systemSearch) {
        this.provider = provider;
        this.servers = List.copyOf(servers);
        this.source = source;
        this.fallbackReason = fallbackReason;
        this.systemSearch = systemSearch;
    }

    /** The servers of {@code /etc/resolv.conf}, else the local machine's. */
    public static NameServers system() {
        return fromResolvConf(RESOLV_CONF);
    }

    /** The servers of a {@code resolv.conf}-format file, else the local machine's (see {@link #fallbackReason}). */
    public static NameServers fromResolvConf(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("resolv.conf path: null (expected: a file such as " + RESOLV_CONF + ")");
        }
        try {
            UnixResolverDnsServerAddressStreamProvider parsed =
                    new UnixResolverDnsServerAddressStreamProvider(file.toFile());
            return new NameServers(parsed, listed(parsed), file.toString(), null, true);
        } catch (IOException | IllegalArgumentException e) {
            String reason = e instanceof IOException ? "cannot read " + file + ": " + e.getMessage()
                    : file + (Files.isRegularFile(file) ? " lists no nameserver" : " is missing");
            return new NameServers(new SequentialDnsServerAddressStreamProvider(LOCAL), List.of(LOCAL), file.toString(),
                    reason, true);
        }
    }

    /**
     * Exactly these servers, no search domains and {@code ndots} 1 (tests, or a deployment that names its DNS
     * server explicitly).
     */
    public static NameServers of(List<InetSocketAddress> servers) {
        if (servers == null || servers.isEmpty()) {
            throw new IllegalArgumentException("servers: " + servers + " (expected: at least one host:port)");
        }
        return new NameServers(new SequentialDnsServerAddressStreamProvider(servers), servers, "explicit", null, false);
    }

    DnsServerAddressStreamProvider provider() {
        return provider;
    }

    /** The servers asked for a name without a per-domain override, in order. */
    public List<InetSocketAddress> servers() {
        return servers;
    }

    /** Where the servers came from: a file name, or {@code explicit}. */
    public String source() {
        return source;
    }

    /** Why the local machine's server is used instead of configured ones; null when the configuration was read. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** Whether the system's search domains and {@code ndots} apply (Netty reads them from /etc/resolv.conf). */
    boolean systemSearch() {
        return systemSearch;
    }

    private static List<InetSocketAddress> listed(DnsServerAddressStreamProvider provider) {
        DnsServerAddressStream stream = provider.nameServerAddressStream("");
        List<InetSocketAddress> servers = new ArrayList<>();
        for (int i = 0; i < stream.size(); i++) {
            servers.add(stream.next());
        }
        return servers;
    }

    /** The servers as {@code host:port} list, for log lines: {@code 10.96.0.10:53,10.96.0.11:53}. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        for (InetSocketAddress server : servers) {
            if (!text.isEmpty()) {
                text.append(',');
            }
            String host = server.getAddress() != null ? server.getAddress().getHostAddress() : server.getHostString();
            text.append(host.indexOf(':') >= 0 ? "[" + host + "]" : host).append(':').append(server.getPort());
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return describe() + " from " + source;
    }
}
