package io.connectionswap.protocol.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.testsupport.dns.FakeDnsServer;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resolver wiring: which servers are asked, the TTL cache, the hosts file and the fallback. */
class HostResolverTest {

    private EventLoopGroup group;
    private FakeDnsServer dns;
    private HostResolver resolver;

    @BeforeEach
    void start() throws InterruptedException {
        group = QuicEventLoops.create("dns-test", 1);
        dns = new FakeDnsServer(group, "workers.test");
        resolver = HostResolver.create(group.next(), NameServers.of(List.of(dns.address())), "test");
    }

    @AfterEach
    void stop() {
        resolver.close();
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void answersAreCachedForTheirTtlAndAskedAgainAfterIt() throws Exception {
        dns.answer(1, List.of(ip("10.0.0.1"), ip("10.0.0.2")));
        assertThat(resolve("workers.test")).containsExactly(ip("10.0.0.1"), ip("10.0.0.2"));
        int asked = dns.aQueries();
        assertThat(asked).isEqualTo(1);

        dns.answer(1, List.of(ip("10.0.0.3")));
        // within the 1 s TTL the cached answer stands (the JVM would keep it 30 s); after it, the new one
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> resolve("workers.test").equals(List.of(ip("10.0.0.3"))));
        assertThat(dns.aQueries()).isGreaterThan(asked);
    }

    @Test
    void aLongTtlKeepsTheAnswerWithoutAskingAgain() throws Exception {
        dns.answer(3600, List.of(ip("10.0.0.7")));
        assertThat(resolve("workers.test")).containsExactly(ip("10.0.0.7"));
        dns.answer(3600, List.of(ip("10.0.0.8")));
        for (int i = 0; i < 20; i++) {
            assertThat(resolve("workers.test")).containsExactly(ip("10.0.0.7"));
        }
        assertThat(dns.aQueries()).isEqualTo(1);
    }

    @Test
    void hostsFileNamesAndLiteralsNeverReachTheServer() throws Exception {
        assertThat(resolve("localhost")).contains(ip("127.0.0.1"));
        assertThat(resolve("127.0.0.2")).containsExactly(ip("127.0.0.2"));
        assertThat(dns.queries()).isZero();
    }

    @Test
    void anUnknownNameFailsWithUnknownHost() {
        assertThatThrownBy(() -> resolve("nothing.test"))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(UnknownHostException.class)
                .hasMessageContaining("nothing.test");
    }

    @Test
    void serversComeFromResolvConf(@TempDir Path dir) throws IOException {
        Path conf = Files.writeString(dir.resolve("resolv.conf"),
                "# written by a test\nsearch svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5\n");
        NameServers servers = NameServers.fromResolvConf(conf);
        assertThat(servers.servers()).containsExactly(new InetSocketAddress("10.96.0.10", 53),
                new InetSocketAddress("10.96.0.11", 53));
        assertThat(servers.fallbackReason()).isNull();
        assertThat(servers.source()).isEqualTo(conf.toString());
        assertThat(servers.describe()).isEqualTo("10.96.0.10:53,10.96.0.11:53");
    }

    @Test
    void withoutAnyNameserverTheLocalMachineIsAskedAndTheLogSaysSo(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("resolv.conf"), "search example.org\n");
        NameServers none = NameServers.fromResolvConf(empty);
        assertThat(none.servers()).containsExactly(NameServers.LOCAL);
        assertThat(none.fallbackReason()).isEqualTo(empty + " lists no nameserver");
        NameServers missing = NameServers.fromResolvConf(dir.resolve("missing.conf"));
        assertThat(missing.servers()).containsExactly(NameServers.LOCAL);
        assertThat(missing.fallbackReason()).isEqualTo(dir.resolve("missing.conf") + " is missing");

        try (CapturedLogs logs = CapturedLogs.of(HostResolver.class)) {
            HostResolver fallback = HostResolver.create(group.next(), NameServers.fromResolvConf(empty), "test");
            try {
                assertThat(fallback.resolveAll("localhost").get(10, TimeUnit.SECONDS)).contains(ip("127.0.0.1"));
                assertThat(logs.events()).anySatisfy(event -> assertThat(event.getFormattedMessage())
                        .contains("dns.servers=127.0.0.1:53 ")
                        .contains("no DNS server configured; asking the local machine's name server"));
            } finally {
                fallback.close();
            }
        }
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> NameServers.of(List.of())).hasMessageContaining("expected: at least one");
        assertThatThrownBy(() -> HostResolver.create(null, NameServers.system(), "test"))
                .hasMessageContaining("loop and servers are required");
        assertThatThrownBy(() -> resolver.resolveAll(" ").get()).hasCauseInstanceOf(IllegalArgumentException.class);
    }

    private List<InetAddress> resolve(String host) throws Exception {
        return resolver.resolveAll(host).get(10, TimeUnit.SECONDS);
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
