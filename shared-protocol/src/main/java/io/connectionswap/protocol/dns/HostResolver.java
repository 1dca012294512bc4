package io.connectionswap.protocol.dns;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.quic.QuicTransport;
import io.netty.channel.EventLoop;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves host names without blocking, through Netty's {@link DnsNameResolver}: answers are cached for their
 * records' TTL (not the JVM's fixed 30 s of {@code InetAddress}, which would hide a change from a 5 s discovery
 * interval), {@code /etc/hosts} is read first (so {@code localhost} and hosts-file names work), IP literals resolve
 * to themselves, and the system's search domains and {@code ndots} apply (Kubernetes short names). A truncated UDP
 * answer (a large headless Service) is asked again over TCP.
 *
 * <p>The Netty resolver is built on first use, on {@code loop} (its datagram channel lives there), and logs its
 * servers once; the futures complete on {@code loop}. Thread-safe.
 */
public final class HostResolver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HostResolver.class);

    private final EventLoop loop;
    private final NameServers servers;
    private final String role;
    private DnsNameResolver resolver; // loop only
    private boolean closed; // loop only

    private HostResolver(EventLoop loop, NameServers servers, String role) {
        this.loop = loop;
        this.servers = servers;
        this.role = role;
    }

    /**
     * @param loop    the event loop the resolver's sockets are registered on, NIO or epoll
     * @param servers where to ask ({@link NameServers#system()} in the services)
     * @param role    who resolves, for the log line ({@code director}, {@code worker})
     */
    public static HostResolver create(EventLoop loop, NameServers servers, String role) {
        if (loop == null || servers == null) {
            throw new IllegalArgumentException("loop and servers are required (got loop=" + loop + ", servers="
                    + servers + ")");
        }
        return new HostResolver(loop, servers, role == null ? "?" : role);
    }

    /** Every address behind {@code host} (IPv4 first); fails with the resolver's {@code UnknownHostException}. */
    public CompletableFuture<List<InetAddress>> resolveAll(String host) {
        CompletableFuture<List<InetAddress>> result = new CompletableFuture<>();
        if (host == null || host.isBlank()) {
            result.completeExceptionally(new IllegalArgumentException("host: '" + host + "' (expected: a name or "
                    + "address)"));
            return result;
        }
        try {
            loop.execute(() -> {
                if (closed) {
                    result.completeExceptionally(new IllegalStateException("resolver closed"));
                    return;
                }
                resolver().resolveAll(host).addListener(done -> {
                    if (done.isSuccess()) {
                        @SuppressWarnings("unchecked")
                        List<InetAddress> addresses = (List<InetAddress>) done.getNow();
                        result.complete(List.copyOf(addresses));
                    } else {
                        result.completeExceptionally(done.cause());
                    }
                });
            });
        } catch (RuntimeException e) { // the loop is shutting down
            result.completeExceptionally(e);
        }
        return result;
    }

    private DnsNameResolver resolver() {
        if (resolver == null) {
            // the loop's own transport: a NIO channel cannot register on an epoll loop (the director's routing loops)
            QuicTransport transport = QuicTransport.of(loop);
            DnsNameResolverBuilder builder = new DnsNameResolverBuilder(loop)
                    .datagramChannelType(transport.datagramChannel())
                    .socketChannelType(transport.socketChannel())
                    .nameServerProvider(servers.provider())
                    .hostsFileEntriesResolver(HostsFileEntriesResolver.DEFAULT);
            if (!servers.systemSearch()) {
                builder.searchDomains(List.of()).ndots(1);
            }
            resolver = builder.build();
            if (servers.fallbackReason() != null) {
                LogLine.warn(log).field("role", role).field("dns.servers", servers.describe())
                        .field("source", servers.source()).quoted("problem", servers.fallbackReason())
                        .log("no DNS server configured; asking the local machine's name server, as the C library "
                                + "does (hosts file first)");
            } else {
                LogLine.info(log).field("role", role).field("dns.servers", servers.describe())
                        .field("source", servers.source())
                        .log("resolving names through DNS (record TTLs, hosts file first)");
            }
        }
        return resolver;
    }

    @Override
    public void close() {
        if (loop.isShuttingDown()) {
            closeNow();
            return;
        }
        try {
            loop.execute(this::closeNow);
        } catch (RuntimeException e) {
            closeNow();
        }
    }

    private void closeNow() {
        closed = true;
        if (resolver != null) {
            resolver.close();
            resolver = null;
        }
    }
}
