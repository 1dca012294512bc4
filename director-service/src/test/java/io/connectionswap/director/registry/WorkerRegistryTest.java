package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.DiscoveryProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The health state machine: thresholds, recovery, drain, lost connections, re-registration. */
class WorkerRegistryTest {

    private static final HostPort DNS_WORKER = new HostPort("127.0.0.1", 62001);
    private static final DiscoveryProperties DISCOVERY = new DiscoveryProperties("worker-headless:62001",
            Duration.ofSeconds(5), 8081, "/actuator/health", Duration.ofSeconds(1));

    private final EventLoop loop = new DefaultEventLoop();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    /** Address lookups of redials, held instead of run while {@link #holdResolves} is set. */
    private final List<Runnable> heldResolves = new CopyOnWriteArrayList<>();
    private volatile boolean holdResolves;
    private FakeWorkerConnector connector;
    private WorkerRegistry registry;

    @BeforeEach
    void setUp() {
        connector = new FakeWorkerConnector(loop);
        registry = registryWith(new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4));
    }

    /** A registry on the test's loop and connector, with {@code health}'s thresholds. */
    private WorkerRegistry registryWith(HealthProperties health) {
        DirectorProperties properties = TestDirectorProperties.of("d-test", Duration.ofMillis(100), "nio",
                false);
        WorkerRegistry registry = new WorkerRegistry(loop, task -> {
            if (holdResolves) {
                heldResolves.add(task);
            } else {
                task.run();
            }
        }, connector, properties, health,
                new DirectorMeters(new SimpleMeterRegistry(), loop));
        registry.onWorkerFailed((worker, reason, detail) -> failures.add(worker.label() + ":" + reason));
        return registry;
    }

    @AfterEach
    void tearDown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void newWorkerIsHealthyAfterItsFirstGoodPollWithTheLinkUp() {
        WorkerEndpoint worker = register("worker-a", 62001, "i-1");
        assertThat(worker.state()).isEqualTo(WorkerState.PENDING);
        assertThat(onLoop(() -> registry.pick(null, null))).isNull();
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.HEALTHY);
        assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(worker);
    }

    @Test
    void oneDownAnswerIsEnoughButOneRefusedConnectionIsNot() {
        WorkerEndpoint a = healthy("worker-a", 62001);
        WorkerEndpoint b = healthy("worker-b", 62002);

        poll(a, PollResult.answered("DOWN", 503));
        assertThat(a.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(failures).containsExactly("worker-a:health");

        poll(b, PollResult.unreachable("connection refused"));
        assertThat(b.state()).isEqualTo(WorkerState.HEALTHY);
        poll(b, PollResult.unreachable("timeout"));
        assertThat(b.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(failures).containsExactly("worker-a:health", "worker-b:health");
    }

    /**
     * OUT_OF_SERVICE is a worker taken out of service on purpose (its readiness once a SIGTERM began): no flapping to
     * ride out, unlike DOWN. With {@code down-threshold=3} a draining worker stayed in rotation for two more polls and
     * got new generations it could only refuse; a worker found through DNS, whose only sign of a drain is its health,
     * got them every time.
     */
    @Test
    void anOutOfServiceAnswerTakesTheWorkerOutAtOnceWhateverTheDownThreshold() {
        registry = registryWith(new HealthProperties(Duration.ofMillis(500), null, 3, 2, 4));
        WorkerEndpoint draining = healthy("worker-a", 62001);
        WorkerEndpoint flapping = healthy("worker-b", 62002);

        poll(flapping, PollResult.answered("DOWN", 503));
        assertThat(flapping.state()).as("one DOWN of three").isEqualTo(WorkerState.HEALTHY);

        poll(draining, PollResult.answered("OUT_OF_SERVICE", 503));
        assertThat(draining.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(failures).containsExactly("worker-a:drain");
        assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(flapping);
    }

    @Test
    void anUnhealthyWorkerComesBackOnlyAfterFourGoodPollsInARow() {
        WorkerEndpoint worker = healthy("worker-a", 62001);
        poll(worker, PollResult.answered("OUT_OF_SERVICE", 503));
        poll(worker, up());
        poll(worker, up());
        poll(worker, PollResult.answered("DOWN", 503)); // flapping resets the count
        poll(worker, up());
        poll(worker, up());
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.UNHEALTHY);
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.HEALTHY);
    }

    @Test
    void goodPollsWhileTheLinkIsDownDoNotCountTowardsTheComeBack() {
        WorkerEndpoint worker = healthy("worker-a", 62001);
        connector.holdConnects = true;
        onLoop(() -> {
            connector.connections.get("worker-a").lose("heartbeat timeout");
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> connector.pending.size() == 1); // the redial, held
        for (int i = 0; i < 6; i++) {
            poll(worker, up()); // HTTP answers, the QUIC path does not (a flapping or blocked UDP path)
        }

        onLoop(() -> connector.pending.poll().setSuccess(new FakeWorkerConnector.FakeConnection(reason -> { })));
        assertThat(worker.linkUp()).isTrue();
        assertThat(worker.state()).as("back only after four good polls with the link up").isEqualTo(
                WorkerState.UNHEALTHY);
        poll(worker, up());
        poll(worker, up());
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.UNHEALTHY);
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.HEALTHY);
    }

    @Test
    void aSecondWorkerWithALabelInUseIsWarnedAbout() {
        register("worker", 62001, "i-1");
        try (CapturedLogs logs = CapturedLogs.of(WorkerRegistry.class)) {
            register("worker", 62002, "i-2");
            register("worker-c", 62003, "i-3");
            assertThat(logs.events()).filteredOn(event -> event.getLevel() == Level.WARN)
                    .singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                            .contains("worker.addr=127.0.0.1:62002", "worker.label=worker",
                                    "also.at=127.0.0.1:62001", "worker label already in use"));
        }
        // the same worker registering again (a new registration stream) is no second worker
        try (CapturedLogs logs = CapturedLogs.of(WorkerRegistry.class)) {
            register("worker", 62001, "i-1");
            assertThat(logs.events()).noneMatch(event -> event.getLevel() == Level.WARN);
        }
    }

    @Test
    void outOfServiceIsADrainEvenBeforeTheWorkersDrainMessage() {
        WorkerEndpoint worker = healthy("worker-a", 62001);
        // a SIGTERM: Spring Boot's readiness turns OUT_OF_SERVICE a few ms before the worker's DRAIN arrives
        poll(worker, PollResult.answered("OUT_OF_SERVICE", 503));
        assertThat(worker.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(failures).containsExactly("worker-a:drain");
        onLoop(() -> {
            registry.drain(worker, "shutdown");
            return null;
        });
        assertThat(worker.state()).isEqualTo(WorkerState.DRAINING);
    }

    @Test
    void lostConnectionMakesTheWorkerUnhealthyAtOnce() {
        WorkerEndpoint worker = healthy("worker-a", 62001);
        onLoop(() -> {
            connector.connections.get("worker-a").lose("heartbeat timeout");
            return null;
        });
        onLoop(() -> null); // the loss is handed to the loop
        assertThat(worker.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(failures).containsExactly("worker-a:connection_lost");
    }

    @Test
    void aLostLinkIsDialledAgainButClosingTheRegistryClosesEveryLinkForGood() {
        healthy("worker-a", 62001);
        FakeWorkerConnector.FakeConnection first = connector.connections.get("worker-a");
        onLoop(() -> {
            first.lose("heartbeat timeout");
            return null;
        });
        // the loss, then the redial, each reach the loop as a task of its own
        await().atMost(Duration.ofSeconds(5)).until(() -> connector.connections.get("worker-a") != first);
        FakeWorkerConnector.FakeConnection second = connector.connections.get("worker-a");

        registry.close();
        onLoop(() -> null);
        assertThat(second.closedWith).as("the worker hears the close").isEqualTo("director stopping");
        assertThat(connector.connections.get("worker-a")).as("no new link at shutdown").isSameAs(second);
        assertThat(failures).as("a stopping director reports no worker failure").containsExactly(
                "worker-a:connection_lost");
    }

    @Test
    void aLinkThatIsLostRightAfterEachDialIsRedialledWithBackoffNotInATightLoop() {
        // a worker that completes the handshake and closes the connection at once (it rejects the director's
        // certificate, which TLS 1.3 shows the dialler only after its handshake completed; a worker at a connection
        // limit): each redial must wait longer, as a dial that fails does, not start at once with a fresh backoff
        healthy("worker-a", 62001);
        int before = connector.attempts.get();
        long start = System.nanoTime();
        connector.loseAtOnce = true;
        try {
            onLoop(() -> {
                connector.connections.get("worker-a").lose("connection closed");
                return null;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> connector.attempts.get() - before >= 10);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertThat(elapsed).as("ten redials of a link that is lost each time it comes up (capped exponential "
                    + "backoff from 100 ms: seconds, not a tight loop of dials)").isGreaterThan(Duration.ofSeconds(1));
        } finally {
            connector.loseAtOnce = false;
        }
    }

    @Test
    void aRedialThatFailsAfterTheRegistryClosedIsNeitherReportedNorRetried() {
        healthy("worker-a", 62001);
        connector.holdConnects = true;
        onLoop(() -> {
            connector.connections.get("worker-a").lose("worker closed its server"); // a worker that drains
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> connector.pending.size() == 1);
        int attempts = connector.attempts.get();
        try (CapturedLogs logs = CapturedLogs.of(WorkerRegistry.class)) {
            registry.close();
            // as at a director's SIGTERM: the loops stop, and the redial under way fails
            connector.pending.remove().setFailure(new IllegalStateException("executor not accepting a task"));
            onLoop(() -> null); // the failure reaches the registry on the loop, before this
            onLoop(() -> null); // and a retry due at once would have run by now
            assertThat(logs.events()).as("a stopping director does not warn that it cannot reach a worker")
                    .noneSatisfy(event -> assertThat(event.getFormattedMessage()).contains("cannot connect to worker"));
        }
        assertThat(connector.attempts.get()).as("no redial").isEqualTo(attempts);
    }

    @Test
    void aRedialWhoseAddressResolvesAfterTheRegistryClosedIsNotDialled() {
        healthy("worker-a", 62001);
        int attempts = connector.attempts.get();
        holdResolves = true;
        onLoop(() -> {
            connector.connections.get("worker-a").lose("worker closed its server"); // a worker that drains
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> heldResolves.size() == 1);
        registry.close();
        heldResolves.remove(0).run(); // as at a director's SIGTERM: the lookup ends while the loops stop
        onLoop(() -> null); // a dial handed to the loop by the lookup would have started by now
        assertThat(connector.attempts.get()).as("no dial once closed (its loops may be gone)").isEqualTo(attempts);
    }

    /**
     * A dial under way on the registry's loop when the director stops hands its connections to the routing loops
     * before {@code close()} returns, that is before Spring stops those loops (a dial caught by their stop logged
     * Netty's warnings and errors with stack traces).
     */
    @Test
    void closeWaitsForADialUnderWayOnTheRegistryLoop() throws Exception {
        healthy("worker-a", 62001);
        CountDownLatch dialling = new CountDownLatch(1);
        CountDownLatch finishDial = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        connector.duringConnect = () -> {
            dialling.countDown();
            try {
                finishDial.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            order.add("dial done");
        };
        onLoop(() -> {
            connector.connections.get("worker-a").lose("worker closed its server"); // the redial starts on the loop
            return null;
        });
        assertThat(dialling.await(5, TimeUnit.SECONDS)).as("the redial under way").isTrue();

        Thread closer = new Thread(() -> {
            registry.close();
            order.add("close returned");
        }, "test-closer");
        closer.start();
        await("close() waiting for the loop").atMost(Duration.ofSeconds(5))
                .until(() -> closer.getState() == Thread.State.TIMED_WAITING || !closer.isAlive());
        finishDial.countDown();
        closer.join(10_000);
        assertThat(order).containsExactly("dial done", "close returned");
    }

    @Test
    void aDrainingWorkerThatGoesAwayIsDialledAgainWithoutAWarning() {
        WorkerEndpoint worker = healthy("worker-a", 62001);
        connector.holdConnects = true;
        CapturedLogs logs = CapturedLogs.of(WorkerRegistry.class);
        logs.logger().setLevel(Level.DEBUG); // to see the redial's line, wherever it goes
        try (logs) {
            onLoop(() -> {
                registry.drain(worker, "shutdown"); // its DRAIN message, then it closes its server and exits
                connector.connections.get("worker-a").lose("worker closed its server");
                return null;
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> connector.pending.size() == 1);
            int attempts = connector.attempts.get();
            onLoop(() -> connector.pending.remove().setFailure(new IllegalStateException("connection refused")));
            await().atMost(Duration.ofSeconds(5)).until(() -> connector.attempts.get() > attempts);

            assertThat(logs.events()).as("the redial that failed, logged").anySatisfy(event -> {
                assertThat(event.getFormattedMessage()).contains("cannot connect to worker");
                assertThat(event.getLevel()).as("a worker that said it drains is expected to go away")
                        .isEqualTo(Level.DEBUG);
            });
            assertThat(logs.events()).noneSatisfy(event -> assertThat(event.getLevel()).isEqualTo(Level.WARN));
        } finally {
            logs.logger().setLevel(null);
        }
        // gone: another process may come at its address, and is back after the rise threshold (not DRAINING for good)
        assertThat(worker.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(worker.drainedAway()).isTrue();
    }

    @Test
    void drainingWorkerGetsNoStreamsAndItsStreamsMove() {
        WorkerEndpoint a = healthy("worker-a", 62001);
        WorkerEndpoint b = healthy("worker-b", 62002);
        onLoop(() -> {
            registry.drain(a, "shutdown");
            return null;
        });
        assertThat(a.state()).isEqualTo(WorkerState.DRAINING);
        assertThat(failures).containsExactly("worker-a:drain");
        for (int i = 0; i < 5; i++) {
            assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(b);
        }
        poll(a, up());
        assertThat(a.state()).as("a draining worker never comes back by polls").isEqualTo(WorkerState.DRAINING);
    }

    @Test
    void stalledWorkerLeavesRotation() {
        WorkerEndpoint worker = healthy("worker-a", 62001);
        onLoop(() -> {
            registry.stalled(worker, "no frame for 150 ms");
            return null;
        });
        assertThat(worker.state()).isEqualTo(WorkerState.UNHEALTHY);
        assertThat(failures).containsExactly("worker-a:stall");
    }

    @Test
    void restartOnTheSameAddressReplacesTheEntry() {
        WorkerEndpoint first = healthy("worker-a", 62001);
        WorkerEndpoint again = register("worker-a", 62001, "i-62001");
        assertThat(again).as("same instance registering again keeps its entry").isSameAs(first);
        WorkerEndpoint restarted = register("worker-a", 62001, "i-restarted");
        assertThat(restarted).isNotSameAs(first);
        assertThat(registry.workers()).containsExactly(restarted);
        assertThat(failures).containsExactly("worker-a:connection_lost");
    }

    @Test
    void anInvalidRegistrationIsRefusedAndTheOtherWorkersAreUntouched() {
        WorkerEndpoint good = healthy("worker-b", 62002);
        assertThatThrownBy(() -> onLoopOrThrow(() -> registry.register(new WorkerRegistration("worker_a",
                "127.0.0.1:62001", "http://worker_a:8081/actuator/health", 50, "i-bad", List.of("stand-in")))))
                .isInstanceOf(InvalidRegistrationException.class)
                .hasMessageContaining("health URL 'http://worker_a:8081/actuator/health' has no host")
                .hasMessageContaining("'_' is not allowed");
        assertThat(registry.workers()).containsExactly(good);
        assertThat(connector.connections).containsOnlyKeys("worker-b");
        poll(good, up());
        assertThat(good.state()).isEqualTo(WorkerState.HEALTHY);
    }

    /**
     * In an IPv6 cluster the worker found through DNS and the same worker's registration name one address in two
     * spellings. DnsDiscovery keys it by {@code InetAddress.getHostAddress()}, which Java writes uncompressed
     * ({@code fd00:10:244:1:0:0:0:5}); the worker advertises {@code $(POD_IP):62001} (k8s/base/worker.yaml), which
     * Kubernetes writes compressed ({@code fd00:10:244:1::5}). The registry keyed workers by the text, so the worker
     * was listed twice (two links, a double share of new streams, a DRAIN that marked one of the two). HostPort now
     * keeps one spelling of an IPv6 literal.
     */
    @Test
    void aWorkerFoundThroughDnsAndRegisteredWithAnotherSpellingOfItsIpv6AddressIsListedOnce() throws Exception {
        String dnsSpelling = InetAddress.getByName("fd00:10:244:1::5").getHostAddress();
        DiscoveryProperties discovery = new DiscoveryProperties("worker-headless:62001",
                Duration.ofSeconds(5), 8081, "/actuator/health", Duration.ofSeconds(1));
        onLoop(() -> {
            registry.discovered(Set.of(new HostPort(dnsSpelling, 62001)),
                    discovery);
            return null;
        });
        onLoop(() -> registry.register(new WorkerRegistration("worker-0", "[fd00:10:244:1::5]:62001",
                "http://[fd00:10:244:1::5]:8081/actuator/health", 50, "i-0", List.of("stand-in"))));

        assertThat(registry.workers()).as("one worker, found through DNS as " + dnsSpelling
                + " and registered as fd00:10:244:1::5").hasSize(1);
    }

    /**
     * A worker that crashes (OOM, kill -9) and is restarted at the same address by its supervisor (compose's restart:
     * unless-stopped, systemd) registers with a new instance id. The registry replaced the entry with a fresh PENDING
     * one, HEALTHY on the first UP poll: a crash loop re-entered rotation after one poll on every restart and, having
     * the fewest active streams, took every new stream until it crashed again and they all moved.
     */
    @Test
    void aWorkerThatCrashedAndRestartedAtTheSameAddressComesBackOnlyAfterTheRiseThreshold() {
        WorkerEndpoint crashed = healthy("worker-a", 62001);
        FakeWorkerConnector.FakeConnection link = connector.connections.get("worker-a");
        onLoop(() -> {
            link.lose("worker process died");
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> crashed.state() == WorkerState.UNHEALTHY);

        WorkerEndpoint restarted = register("worker-a", 62001, "i-after-crash");
        await().atMost(Duration.ofSeconds(5)).until(restarted::linkUp);
        poll(restarted, up());
        assertThat(restarted.eligible()).as("one good poll after a crash: the README says it comes back after four")
                .isFalse();
        for (int i = 0; i < 3; i++) {
            poll(restarted, up());
        }
        assertThat(restarted.eligible()).as("back after four good polls").isTrue();
    }

    /**
     * A worker found through DNS that refused a hand-off with SHUTTING_DOWN (its SIGTERM came between two health polls)
     * is DRAINING. A DNS entry has no instance id to tell the drained process from the next one, and DRAINING was left
     * by nothing (not a redialled link, not UP polls, not eviction while in DNS, not a registration adopting the entry):
     * a worker restarted at the same address (a pod IP kept, a DNS-only worker) never got a stream again. Now the lost
     * link ends DRAINING.
     */
    @Test
    void aDnsOnlyWorkerThatDrainedAndRestartedAtTheSameAddressComesBack() {
        WorkerEndpoint worker = drainedDnsWorker();

        restartAtTheSameAddress(worker);
        for (int i = 0; i < 10; i++) {
            poll(worker, up()); // the new process answers UP, again and again
        }

        assertThat(registry.workers()).as("still listed in DNS").hasSize(1);
        assertThat(worker.state()).as("the restarted worker is healthy again").isEqualTo(WorkerState.HEALTHY);
        assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(worker);
    }

    @Test
    void aWorkerFoundThroughDnsThatRegistersTheTokenStreamGetsALinkWithTokenStreams() {
        // after a director restart DNS discovery finds every worker before it registers again: the link dialled then
        // knows no features; once the worker registers token-stream, its link must carry token streams (README,
        // CONNECTION_SWAP_WORKER_TOKEN_STREAM: every worker that registers the feature), not keep a stream per
        // generation until the link happens to be lost
        WorkerEndpoint found = dnsWorkerWithItsLinkUp();
        assertThat(found.tokenStream()).as("no features known before the registration").isFalse();

        WorkerEndpoint registered = onLoop(() -> registry.register(new WorkerRegistration("worker-0",
                DNS_WORKER.toString(), "http://127.0.0.1:8081/actuator/health", 50, "i-1", List.of("stand-in"),
                List.of(WorkerRegistration.TOKEN_STREAM))));

        assertThat(registered).isSameAs(found);
        await("the registered worker's link carries token streams").atMost(Duration.ofSeconds(5))
                .until(() -> registered.linkUp() && registered.tokenStream());
    }

    /**
     * A DNS-found worker that registered the token stream while a stream was in flight on its link kept that link,
     * without token streams, for good; then (75da6cb) it was replaced only once the worker had no stream in flight at
     * all, which a busy worker, its streams overlapping, never has (found by a review). Now the link with token streams
     * is dialled at once, and the old one is closed once its own streams have ended, whatever runs on the new one.
     */
    @Test
    void aBusyWorkerFoundThroughDnsThatRegistersTheTokenStreamGetsALinkWithTokenStreamsAtOnce() {
        WorkerEndpoint found = dnsWorkerWithItsLinkUp();
        FakeWorkerConnector.FakeConnection old = connector.connections.get(found.label());
        old.streams.opened(); // a relay session on the link the registration finds

        registersTheTokenStream();
        await("a link with token streams while a stream is in flight").atMost(Duration.ofSeconds(5))
                .until(() -> found.linkUp() && found.tokenStream());
        FakeWorkerConnector.FakeConnection replacement = connector.connections.get(found.label());
        replacement.streams.opened(); // streams keep overlapping, now on the new link
        assertThat(old.closedWith).as("the old link still carries its stream").isNull();

        old.streams.closed();
        await("the old link is closed once its own streams have ended").atMost(Duration.ofSeconds(5))
                .until(() -> old.closedWith != null);
        assertThat(replacement.closedWith).isNull();
    }

    /**
     * close() closes every link so each worker hears CONNECTION_CLOSE at once (stopping the routing loops sends
     * nothing: the worker holds the connections and their streams until its idle timeout). A link replaced by one with
     * token streams and still carrying a stream waits for it (WorkerConnection.retire) but is no worker's link
     * any more, so close() never closed it (closeAll only walked worker.link()); the replaced links are closed too now.
     * Found by the review helper.
     */
    @Test
    void aReplacedLinkStillCarryingAStreamIsClosedWhenTheDirectorStops() {
        WorkerEndpoint found = dnsWorkerWithItsLinkUp();
        FakeWorkerConnector.FakeConnection old = connector.connections.get(found.label());
        old.streams.opened(); // a relay session in flight on it
        registersTheTokenStream();
        await().atMost(Duration.ofSeconds(5)).until(() -> found.linkUp() && found.tokenStream());
        FakeWorkerConnector.FakeConnection replacement = connector.connections.get(found.label());

        registry.close();

        assertThat(replacement.closedWith).as("the worker's link").isNotNull();
        assertThat(old.closedWith).as("the replaced link still carrying a stream is closed at shutdown too")
                .isNotNull();
    }

    /**
     * The link without token streams was closed as soon as its replacement came up, so a stream that had started on
     * it while the replacement was dialled was cut (and moved, as a lost connection); now the old link is closed once
     * the streams in flight have ended.
     */
    @Test
    void aStreamThatStartsWhileTheLinkWithTokenStreamsIsDialledIsNotCutWhenItComesUp() {
        WorkerEndpoint found = dnsWorkerWithItsLinkUp();
        FakeWorkerConnector.FakeConnection old = connector.connections.get(found.label());
        connector.holdConnects = true;
        registersTheTokenStream();
        await().atMost(Duration.ofSeconds(5)).until(() -> !connector.pending.isEmpty());

        old.streams.opened(); // picked while the new link is dialled: opened on the old one
        onLoop(() -> connector.pending.remove().setSuccess(new FakeWorkerConnector.FakeConnection(reason -> { },
                true)));

        assertThat(onLoop(found::tokenStream)).as("new streams go on the new link").isTrue();
        assertThat(old.closedWith).as("the old link still carries a stream").isNull();
        old.streams.closed();
        await("the old link is closed once its streams have ended").atMost(Duration.ofSeconds(5))
                .until(() -> old.closedWith != null);
    }

    /**
     * A DNS-found worker that registered the token stream while its first link was being dialled (no features known
     * then) kept that link, without token streams, for good: the registration found no link to replace and the dial
     * ended without looking again; now the link is replaced once it is up.
     */
    @Test
    void aWorkerThatRegistersTheTokenStreamWhileItsFirstLinkIsDialledGetsALinkWithTokenStreams() {
        connector.holdConnects = true;
        onLoop(() -> {
            registry.discovered(Set.of(DNS_WORKER), DISCOVERY);
            return null;
        });
        WorkerEndpoint found = onLoop(() -> registry.workers().iterator().next());
        await().atMost(Duration.ofSeconds(5)).until(() -> !connector.pending.isEmpty());

        registersTheTokenStream();
        connector.holdConnects = false;
        onLoop(() -> connector.pending.remove().setSuccess(new FakeWorkerConnector.FakeConnection(reason -> { })));

        await("the link dialled before the registration is replaced by one with token streams")
                .atMost(Duration.ofSeconds(5)).until(() -> found.linkUp() && found.tokenStream());
    }

    /**
     * A link without token streams that was lost while its replacement was dialled left the worker with no link for
     * good: the redial after the loss was skipped (a dial was pending), and the replacement, once up, was closed as
     * "replaced meanwhile"; now the replacement becomes the worker's link.
     */
    @Test
    void aLinkLostWhileItsReplacementWithTokenStreamsIsDialledLeavesTheWorkerLinked() {
        FakeWorkerConnector.FakeConnection old = dnsWorkerRegisteringTheTokenStreamWithTheRelinkHeld();
        WorkerEndpoint found = onLoop(() -> registry.workers().iterator().next());

        onLoop(() -> {
            old.lose("connection closed"); // the old link dies while its replacement is dialled
            return null;
        });
        FakeWorkerConnector.FakeConnection replacement = new FakeWorkerConnector.FakeConnection(reason -> { }, true);
        onLoop(() -> connector.pending.remove().setSuccess(replacement));

        await("the worker has a link again").atMost(Duration.ofSeconds(5))
                .until(() -> onLoop(() -> found.linkUp() && found.tokenStream()));
        assertThat(replacement.closedWith).as("the link dialled is the one kept").isNull();
    }

    /**
     * The same loss with a replacement whose dial failed: nothing dialled the worker again, as the redial after the
     * loss had been skipped while the replacement was pending; now the worker is dialled again.
     */
    @Test
    void aLinkLostWhileItsReplacementFailsToDialIsDialledAgain() {
        FakeWorkerConnector.FakeConnection old = dnsWorkerRegisteringTheTokenStreamWithTheRelinkHeld();
        WorkerEndpoint found = onLoop(() -> registry.workers().iterator().next());

        onLoop(() -> {
            old.lose("connection closed");
            return null;
        });
        connector.holdConnects = false;
        onLoop(() -> connector.pending.remove().setFailure(new IllegalStateException("handshake timed out")));

        await("the worker has a link again").atMost(Duration.ofSeconds(5))
                .until(() -> onLoop(() -> found.linkUp() && found.tokenStream()));
    }

    /**
     * A routing loop that read a worker's link just before its replacement with token streams came up opened its stream
     * on the old link after that link, with no stream left on it, had been closed: the stream failed and the client was
     * told no worker is healthy, to ask again. Now a replaced link takes no new stream from the moment it is replaced,
     * and the stream opens on the replacement, which is the worker's link by then.
     */
    @Test
    void aStreamOpenedAsItsWorkersLinkIsReplacedOpensOnTheReplacement() {
        FakeWorkerConnector.FakeConnection old = dnsWorkerRegisteringTheTokenStreamWithTheRelinkHeld();
        WorkerEndpoint found = onLoop(() -> registry.workers().iterator().next());
        FakeWorkerConnector.FakeConnection replacement = new FakeWorkerConnector.FakeConnection(reason -> { }, true);
        // a routing loop has read the old link, up, and is about to open its stream there as the replacement comes up
        old.beforeOpen = () -> onLoop(() -> connector.pending.remove().setSuccess(replacement));

        Future<QuicStreamChannel> opened = registry.openStream(found, new ChannelInboundHandlerAdapter()).stream();

        assertThat(opened.cause()).as("the stream does not fail").isNull();
        assertThat(replacement.opening).as("it opens on the replacement").hasValue(1);
        assertThat(old.opening).as("nothing opens on the replaced link").hasValue(0);
        assertThat(old.closedWith).as("the replaced link, no stream on it, is closed")
                .isEqualTo("replaced by a link with token streams");
    }

    /**
     * A routing loop that read a worker's link just before its replacement with token streams came up, and looked at
     * it only after the old link, no stream on it, had been retired and closed (with two routing loops or more its
     * connections are inactive for the other loops at once), found it down and failed the stream "no connection to
     * worker" (NO_HEALTHY_WORKER to the client): beaca18 tried the replacement only when the link read was still up.
     * Now a link read just before it was replaced, up or not, gives way to the worker's link.
     */
    @Test
    void aStreamWhoseLinkWasReplacedAndClosedJustAfterItWasReadOpensOnTheReplacement() {
        FakeWorkerConnector.FakeConnection old = dnsWorkerRegisteringTheTokenStreamWithTheRelinkHeld();
        WorkerEndpoint found = onLoop(() -> registry.workers().iterator().next());
        FakeWorkerConnector.FakeConnection replacement = new FakeWorkerConnector.FakeConnection(reason -> { }, true);
        // a routing loop has read the old link; before it looks at it, the replacement comes up on the registry's
        // loop, and the old link, no stream on it, is retired and closed
        old.beforeIsUp = () -> onLoop(() -> connector.pending.remove().setSuccess(replacement));

        Future<QuicStreamChannel> opened = registry.openStream(found, new ChannelInboundHandlerAdapter()).stream();

        assertThat(old.closedWith).as("the replaced link, no stream on it, is closed")
                .isEqualTo("replaced by a link with token streams");
        assertThat(opened.cause()).as("the stream does not fail").isNull();
        assertThat(replacement.opening).as("it opens on the replacement").hasValue(1);
    }

    /** A worker found through DNS (it registered nothing yet), once its link is up. */
    private WorkerEndpoint dnsWorkerWithItsLinkUp() {
        onLoop(() -> {
            registry.discovered(Set.of(DNS_WORKER), DISCOVERY);
            return null;
        });
        WorkerEndpoint found = onLoop(() -> registry.workers().iterator().next());
        await().atMost(Duration.ofSeconds(5)).until(found::linkUp);
        return found;
    }

    /** The worker found through DNS registers, naming the token stream among its features. */
    private void registersTheTokenStream() {
        onLoop(() -> registry.register(new WorkerRegistration("worker-0", DNS_WORKER.toString(),
                "http://127.0.0.1:8081/actuator/health", 50, "i-1", List.of("stand-in"),
                List.of(WorkerRegistration.TOKEN_STREAM))));
    }

    /** A DNS-found worker with its link up registers the token stream; the dial of the replacement is held. */
    private FakeWorkerConnector.FakeConnection dnsWorkerRegisteringTheTokenStreamWithTheRelinkHeld() {
        WorkerEndpoint found = dnsWorkerWithItsLinkUp();
        // a link lost within a heartbeat timeout (1 s) of coming up is redialled as a failed dial, with a backoff
        await("the link outlives a heartbeat timeout").atMost(Duration.ofSeconds(5))
                .until(() -> onLoop(() -> System.nanoTime() - found.linkUpNanos() > TimeUnit.SECONDS.toNanos(1)));
        FakeWorkerConnector.FakeConnection old = connector.connections.get(found.label());
        connector.holdConnects = true;
        registersTheTokenStream();
        await().atMost(Duration.ofSeconds(5)).until(() -> !connector.pending.isEmpty());
        return old;
    }

    @Test
    void aDrainedDnsWorkerWhoseRestartRegistersComesBack() {
        WorkerEndpoint worker = drainedDnsWorker();

        restartAtTheSameAddress(worker);
        WorkerEndpoint registered = onLoop(() -> registry.register(new WorkerRegistration("worker-0",
                DNS_WORKER.toString(), "http://127.0.0.1:8081/actuator/health", 50, "i-new-process",
                List.of("stand-in"))));
        for (int i = 0; i < 10; i++) {
            poll(registered, up());
        }

        assertThat(registered.state()).as("a new instance registered and answers UP").isEqualTo(WorkerState.HEALTHY);
        assertThat(onLoop(() -> registry.pick(null, null))).isSameAs(registered);
    }

    /**
     * A worker found through DNS that failed (health DOWN) and is missing from one DNS answer (a Service without
     * publishNotReadyAddresses drops a pod whose readiness fails, i.e. exactly the failing one; or one round's partial
     * answer) was forgotten at once, and when it was listed again it was a worker never seen before: one good poll put
     * it back. The README promises a failed worker comes back after four good polls in a row, so that a crash loop does
     * not take every new stream each time it is up; one DNS round must not wipe that history.
     */
    @Test
    void aFailedDnsWorkerMissingFromOneDnsAnswerStillNeedsTheRiseThresholdToComeBack() {
        onLoop(() -> {
            registry.discovered(Set.of(DNS_WORKER), DISCOVERY);
            return null;
        });
        WorkerEndpoint failed = registry.workers().get(0);
        await().atMost(Duration.ofSeconds(5)).until(failed::linkUp);
        poll(failed, up());
        poll(failed, PollResult.answered("DOWN", 503));
        assertThat(failed.state()).isEqualTo(WorkerState.UNHEALTHY);

        onLoop(() -> {
            registry.discovered(Set.of(), DISCOVERY); // one round without it
            registry.discovered(Set.of(DNS_WORKER), DISCOVERY); // listed again
            return null;
        });
        WorkerEndpoint listedAgain = registry.workers().get(0);
        await().atMost(Duration.ofSeconds(5)).until(listedAgain::linkUp);
        poll(listedAgain, up());

        assertThat(listedAgain.eligible())
                .as("one good poll after failing: the README says a failed worker comes back after four").isFalse();
    }

    /** Found through DNS, healthy, then it refused a hand-off with SHUTTING_DOWN (what Relay.workerDraining does). */
    private WorkerEndpoint drainedDnsWorker() {
        onLoop(() -> {
            registry.discovered(Set.of(DNS_WORKER), DISCOVERY);
            return null;
        });
        WorkerEndpoint worker = registry.workers().get(0);
        await().atMost(Duration.ofSeconds(5)).until(worker::linkUp);
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.HEALTHY);
        registry.drain(worker, "worker refused the hand-off while draining: dns-worker is draining");
        onLoop(() -> null);
        assertThat(worker.state()).isEqualTo(WorkerState.DRAINING);
        return worker;
    }

    /** The drained process exits (its link is lost), a new one binds the same address and the link is dialled again. */
    private void restartAtTheSameAddress(WorkerEndpoint worker) {
        FakeWorkerConnector.FakeConnection old = connector.connections.get(worker.label());
        onLoop(() -> {
            old.lose("worker closed its server");
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> connector.connections.get(worker.label()) != old
                && worker.linkUp());
        onLoop(() -> {
            registry.discovered(Set.of(DNS_WORKER), DISCOVERY); // still (again) in DNS
            return null;
        });
    }

    private <T> T onLoopOrThrow(Callable<T> action) throws Throwable {
        try {
            return loop.submit(action).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause();
        }
    }

    private WorkerEndpoint healthy(String label, int port) {
        WorkerEndpoint worker = register(label, port, "i-" + port);
        poll(worker, up());
        assertThat(worker.state()).isEqualTo(WorkerState.HEALTHY);
        return worker;
    }

    private WorkerEndpoint register(String label, int port, String instance) {
        return onLoop(() -> registry.register(new WorkerRegistration(label, "127.0.0.1:" + port,
                "http://127.0.0.1:1/actuator/health", 50, instance, java.util.List.of("stand-in"))));
    }

    private void poll(WorkerEndpoint worker, PollResult result) {
        onLoop(() -> {
            registry.pollStarted(worker);
            registry.pollCompleted(worker, result);
            return null;
        });
    }

    private static PollResult up() {
        return PollResult.answered("UP", 200);
    }

    private <T> T onLoop(Callable<T> action) {
        try {
            return loop.submit(action).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
