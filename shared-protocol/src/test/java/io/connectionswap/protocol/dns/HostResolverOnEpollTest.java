package io.connectionswap.protocol.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicTransport;
import io.connectionswap.testsupport.dns.FakeDnsServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The director resolves {@code CONNECTION_SWAP_DISCOVERY_DNS} with a {@link HostResolver} on its first routing loop
 * ({@code DirectorBeans.directorHostResolver}), and its routing loops are epoll loops wherever epoll loads
 * ({@code CONNECTION_SWAP_QUIC_TRANSPORT=auto}, the default, on Linux). {@code HostResolver} always builds its Netty
 * resolver with {@code NioDatagramChannel} / {@code NioSocketChannel}, which cannot register on an epoll loop: every
 * lookup fails, so DNS discovery finds no worker on a default Linux director (README "Name resolution").
 */
class HostResolverOnEpollTest {

    @Test
    void aNameResolvesOnAnEpollLoopAsTheDirectorRunsIt() throws Exception {
        assumeThat(Epoll.isAvailable()).as("native epoll loads here").isTrue();
        EventLoopGroup nio = QuicEventLoops.create("dns-server", 1);
        EventLoopGroup epoll = QuicEventLoops.create("routing-test", 1, QuicTransport.EPOLL);
        FakeDnsServer dns = new FakeDnsServer(nio, "workers.test");
        HostResolver resolver = HostResolver.create(epoll.next(), NameServers.of(List.of(dns.address())), "director");
        try {
            dns.answer(5, List.of(InetAddress.getByName("10.0.0.1")));

            assertThat(resolver.resolveAll("workers.test").get(10, TimeUnit.SECONDS))
                    .containsExactly(InetAddress.getByName("10.0.0.1"));
        } finally {
            resolver.close();
            dns.close();
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
