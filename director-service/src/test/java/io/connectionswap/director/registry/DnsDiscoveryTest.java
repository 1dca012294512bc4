package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A name that stops resolving is told once, not at every round: the first failure at WARN, its repeats at DEBUG
 * (a reminder at WARN every few minutes, see {@code RepeatedProblemsTest}); resolving again is told at INFO, after
 * which a new failure is news again. Known workers are kept while it fails.
 */
class DnsDiscoveryTest {

    private static final HostPort TARGET = HostPort.parse("target", "workers.test:62001");

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void tearDown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aNameThatKeepsFailingIsWarnedOnceUntilItResolvesAgain() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        AtomicInteger lookups = new AtomicInteger();
        List<InetAddress> oneWorker = List.of(InetAddress.getByName("127.0.0.1"));
        AddressResolver resolver = host -> {
            lookups.incrementAndGet();
            return failing.get()
                    ? CompletableFuture.failedFuture(new UnknownHostException(host + ": Name or service not known"))
                    : CompletableFuture.completedFuture(oneWorker);
        };
        DnsDiscovery discovery = new DnsDiscovery(
                new DiscoveryProperties(TARGET.toString(), Duration.ofSeconds(5), 8081, "/actuator/health",
                        Duration.ofSeconds(1)), registry(), resolver, new DirectorMeters(new SimpleMeterRegistry(), loop));

        try (CapturedLogs logs = CapturedLogs.of(DnsDiscovery.class)) {
            logs.logger().setLevel(Level.DEBUG);
            rounds(discovery, 3, lookups);
            assertThat(lines(logs, "worker discovery failed")).extracting(ILoggingEvent::getLevel)
                    .containsExactly(Level.WARN, Level.DEBUG, Level.DEBUG);
            assertThat(lines(logs, "worker discovery failed").get(2).getFormattedMessage()).contains("repeats=2");

            failing.set(false);
            rounds(discovery, 1, lookups);
            assertThat(lines(logs, "worker discovery resolves again")).hasSize(1);

            failing.set(true);
            rounds(discovery, 1, lookups);
            assertThat(lines(logs, "worker discovery failed")).extracting(ILoggingEvent::getLevel)
                    .containsExactly(Level.WARN, Level.DEBUG, Level.DEBUG, Level.WARN);
        }
    }

    /**
     * On a dual-stack cluster a headless Service answers each pod with an A and an AAAA record, and the director's
     * resolver asks for both (Netty's default where an interface has a global IPv6 address: IPv4 preferred, both
     * kept). Each pod must still be one worker: listed twice, it gets twice its share of new streams (least loaded
     * counts each entry's streams apart), is polled and dialled twice, and a resume that avoids the pod that just
     * failed it (by label: the address for a worker found through DNS) lands on the same pod's other address.
     */
    @Test
    void aDualStackAnswerListsEachPodOnce() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        List<InetAddress> twoDualStackPods = List.of(
                InetAddress.getByName("10.244.1.5"), InetAddress.getByName("10.244.2.7"),
                InetAddress.getByName("fd00:10:244:1::5"), InetAddress.getByName("fd00:10:244:2::7"));
        AddressResolver resolver = host -> {
            lookups.incrementAndGet();
            return CompletableFuture.completedFuture(twoDualStackPods);
        };
        WorkerRegistry registry = registry();
        DnsDiscovery discovery = new DnsDiscovery(
                new DiscoveryProperties(TARGET.toString(), Duration.ofSeconds(5), 8081, "/actuator/health",
                        Duration.ofSeconds(1)), registry, resolver, new DirectorMeters(new SimpleMeterRegistry(), loop));

        rounds(discovery, 1, lookups);

        assertThat(registry.workers()).extracting(worker -> worker.address().toString())
                .as("two pods, each answered with an IPv4 and an IPv6 address").hasSize(2);
    }

    /** Runs {@code count} lookup rounds on the registry's loop, each to its end. */
    private void rounds(DnsDiscovery discovery, int count, AtomicInteger lookups) throws Exception {
        for (int i = 0; i < count; i++) {
            int before = lookups.get();
            loop.submit(() -> discovery.lookup(TARGET)).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> lookups.get() == before + 1);
            loop.submit(() -> { }).get(5, TimeUnit.SECONDS); // the answer is applied by a task queued before this
        }
    }

    private static List<ILoggingEvent> lines(CapturedLogs logs, String message) {
        return logs.events().stream().filter(event -> event.getFormattedMessage().contains(message)).toList();
    }

    private WorkerRegistry registry() {
        DirectorProperties properties = TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio", false);
        return new WorkerRegistry(loop, Runnable::run, new FakeWorkerConnector(loop), properties,
                new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4),
                new DirectorMeters(new SimpleMeterRegistry(), loop));
    }
}
