package io.connectionswap.director.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.FakeWorkerConnector;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.registry.WorkerState;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The poller against a real HTTP server on loopback: what the worker answers, how it fails, what polls cost. */
class HealthPollerTest {

    /**
     * The director's default interval, and timeout (400 ms): with the 50 ms and 40 ms these cases had, a busy machine
     * (a load of 20-40 on two cores) made answers that came outlast the poll, which then failed as a timeout, and the
     * case read "timeout" where it looked for the answer (a refusal, a 200 that is not health, 64 KiB read).
     */
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final EventLoop loop = new DefaultEventLoop();
    private final ExecutorService polls = Executors.newCachedThreadPool(new DefaultThreadFactory("test-health", true));
    private final ExecutorService serverThreads =
            Executors.newCachedThreadPool(new DefaultThreadFactory("test-http", true));
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicReference<Answer> answer = new AtomicReference<>(new Answer(200, "{\"status\":\"UP\"}"));
    private final AtomicInteger answered = new AtomicInteger();
    private volatile CountDownLatch answers = new CountDownLatch(0);
    private HttpServer server;
    private WorkerRegistry registry;
    private HealthPoller poller;

    private record Answer(int status, String body) {
    }

    @BeforeEach
    void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/actuator/health", exchange -> {
            Answer now = answer.get();
            if (now == null) {
                return; // a hung worker: no answer, the connection stays open
            }
            byte[] body = now.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(now.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            answered.incrementAndGet();
            answers.countDown();
        });
        server.setExecutor(serverThreads);
        server.start();
        HealthProperties health = new HealthProperties(INTERVAL, null, 1, 2, 1);
        DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), loop);
        registry = new WorkerRegistry(loop, Runnable::run, new FakeWorkerConnector(loop),
                TestDirectorProperties.defaults(), health, meters);
        registry.onWorkerFailed((worker, reason, detail) -> failures.add(worker.label() + ":" + reason + ":" + detail));
        poller = new HealthPoller(registry, health, polls, meters);
    }

    @AfterEach
    void tearDown() {
        testEnded.countDown();
        ((Logger) LoggerFactory.getLogger(HealthPoller.class)).setLevel(null); // pollerLogs() set it to DEBUG
        poller.stop();
        server.stop(0);
        polls.shutdownNow();
        serverThreads.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aWorkerAnsweringUpIsHealthyAndLeavesRotationWhenItAnswersDown() {
        WorkerEndpoint worker = register("worker-a", server.getAddress().getPort());
        poller.start();
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.HEALTHY);

        answer.set(new Answer(503, "{\"status\":\"DOWN\"}"));
        awaitUnhealthyAndReported(worker);
        assertThat(failures).singleElement().asString().startsWith("worker-a:health:").contains("503", "DOWN");
    }

    @Test
    void aTwoHundredThatIsNoActuatorHealthAnswerIsNotUp() {
        WorkerEndpoint worker = register("worker-a", server.getAddress().getPort());
        poller.start();
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.HEALTHY);

        // what answers at a gone worker's address may be anything: a page, a bare OK
        answer.set(new Answer(200, "<html><body>It works!</body></html>"));
        awaitUnhealthyAndReported(worker);
        assertThat(failures).singleElement().asString().startsWith("worker-a:health:")
                .contains("http 200 UNKNOWN (not an Actuator health answer)");
    }

    @Test
    void aWorkerThatStopsAnsweringIsUnhealthyAfterTwoTimedOutPolls() {
        WorkerEndpoint worker = register("worker-a", server.getAddress().getPort());
        poller.start();
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.HEALTHY);

        answer.set(null);
        awaitUnhealthyAndReported(worker);
        assertThat(failures).singleElement().asString().startsWith("worker-a:health:").contains("timeout");
    }

    @Test
    void aWorkerWhosePortIsClosedIsUnreachable() {
        WorkerEndpoint worker = register("worker-a", server.getAddress().getPort());
        poller.start();
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.HEALTHY);

        stopServerBetweenPollsOf(worker); // the worker's HTTP port closes: new connections are refused
        awaitUnhealthyAndReported(worker);
        assertThat(failures).singleElement().asString().startsWith("worker-a:health:").contains("connection refused");
    }

    /**
     * A peer that takes the health connection and hangs up without answering (a proxy or load balancer in front of a
     * gone worker, a port taken by something else) was reported in the JDK's words, 'IOException: HTTP/1.1 header
     * parser received no bytes', its cause (the end of the stream) dropped.
     */
    @Test
    void aPeerThatHangsUpWithoutAnsweringIsSaidSo() throws IOException {
        try (ServerSocket peer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread hangsUp = new Thread(() -> {
                while (!peer.isClosed()) {
                    try (Socket accepted = peer.accept()) {
                        // closed at once, unanswered
                    } catch (IOException closed) {
                        // the test ended
                    }
                }
            }, "hanging-up-peer");
            hangsUp.setDaemon(true);
            hangsUp.start();
            WorkerEndpoint worker = register("worker-a", peer.getLocalPort());
            poller.start();
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(worker.lastPollResult())
                    .as("the poll of a peer that hangs up").contains("closed the connection without an answer"));
        }
    }

    /**
     * A peer that resets the connection unanswered was said to refuse it, as if nothing listened: JDK 17's client
     * throws a ConnectException 'Connection reset by peer' when the reset comes before the answer (seen on loopback;
     * when it comes later the client reads the end of the stream, as above).
     */
    @Test
    void aPeerThatResetsTheConnectionIsNotSaidToRefuseIt() {
        PollResult reset = HealthPoller.unreachable(new ConnectException("Connection reset by peer"));
        assertThat(reset.detail()).contains("connection reset").doesNotContain("refused");
        assertThat(HealthPoller.unreachable(new ConnectException("Connection refused")).detail())
                .isEqualTo("connection refused");
    }

    /**
     * The JDK client's {@code sendAsync} completes each response on the {@code CompletableFuture} default executor,
     * which on two CPUs or fewer starts a thread per task: a thread per poll. Blocking sends on the poll pool start
     * none once the pool has its thread.
     */
    @Test
    void pollsStartNoThreadEachOnceThePoolHasItsThreads() throws InterruptedException {
        poller = pollingEvery(Duration.ofMillis(50)); // 23 polls within the deadline; a poll that times out counts too
        register("worker-a", server.getAddress().getPort());
        poller.start();
        answers = new CountDownLatch(3);
        assertThat(answers.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("the first polls").isTrue();

        long startedBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
        int answeredBefore = answered.get();
        answers = new CountDownLatch(20);
        assertThat(answers.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("twenty more polls").isTrue();
        long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - startedBefore;

        assertThat(answered.get() - answeredBefore).isGreaterThanOrEqualTo(20);
        assertThat(started).as("threads started in this JVM during 20 polls").isLessThan(5);
    }

    /**
     * A health endpoint that sends its status line and headers at once, then its body slowly (a worker whose
     * management server stalls mid-answer, a proxy that trickles, a hostile peer) must still count as a failed poll
     * after the poll timeout. The JDK client's request timeout ends at the response headers; a body read with
     * {@code BodyHandlers.ofString()} had no deadline, so the poll never completed, the worker's pollInFlight stayed
     * set, no later poll was made, and the worker stayed HEALTHY (in rotation) for as long as the body trickled.
     */
    @Test
    void aHealthAnswerWhoseBodyNeverEndsFailsThePollAfterTheTimeout() {
        server.createContext("/slow-health", exchange -> {
            if (!slowBody) {
                byte[] body = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            exchange.sendResponseHeaders(200, 1_000_000);
            OutputStream out = exchange.getResponseBody();
            try { // a byte of whitespace, then nothing: the body never completes within any poll timeout
                out.write(' ');
                out.flush();
                testEnded.await(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                // the poller hung up, or the test ended
            } finally {
                exchange.close();
            }
        });
        WorkerEndpoint worker;
        try {
            worker = loop.submit(() -> registry.register(new WorkerRegistration("worker-a", "127.0.0.1:62001",
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/slow-health", 50, "i-1",
                    List.of("stand-in")))).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        poller.start();
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.HEALTHY);

        slowBody = true; // from now on each answer's body trickles; the poll timeout is 400 ms
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.UNHEALTHY);
    }

    private volatile boolean slowBody;
    /** Lets a health answer that never ends go once the test is over. */
    private final CountDownLatch testEnded = new CountDownLatch(1);

    /**
     * A health answer was read whole into one String, however big: a health URL that answers with a huge body (a
     * misconfigured URL pointing at a download or a large metrics page, a hostile peer holding the worker
     * certificate) made the director read it all into its heap, every poll interval, on each poll thread. The poll
     * now fails past 64 KiB, and the server's write fails long before 64 MiB.
     */
    @Test
    void aHugeHealthAnswerIsNotReadWhole() {
        AtomicInteger wholeBodiesSent = new AtomicInteger();
        server.createContext("/huge-health", exchange -> {
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) ' ');
            exchange.sendResponseHeaders(200, 64L * chunk.length);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 64; i++) {
                    out.write(chunk);
                }
                wholeBodiesSent.incrementAndGet();
            } catch (IOException e) {
                // the poller hung up: what a bounded read does
            }
        });
        WorkerEndpoint worker;
        try {
            worker = loop.submit(() -> registry.register(new WorkerRegistration("worker-a", "127.0.0.1:62001",
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/huge-health", 50, "i-1",
                    List.of("stand-in")))).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        poller.start();
        await().atMost(DEADLINE).until(() -> worker.lastPollResult() != null
                && worker.lastPollResult().contains("health answer larger than 65536 bytes"));
        assertThat(worker.state()).isNotEqualTo(WorkerState.HEALTHY);
        assertThat(wholeBodiesSent.get()).as("64 MiB health answers read whole by the poller (last result: "
                + worker.lastPollResult() + ", state " + worker.state() + ")").isZero();
    }

    /**
     * Actuator health never redirects: a 3xx means a health URL that points at the wrong place (http for https, a
     * path behind a login or a trailing-slash rewrite). The JDK client does not follow it, and each poll failed with
     * nothing in the log but, for a worker that was healthy, one "worker unhealthy" line without the Location; a new
     * worker stayed pending with no line at all. The operator gets one WARN naming the status and the Location, not
     * one per poll, and the poll result says it was a redirect.
     */
    @Test
    void aRedirectingHealthUrlIsWarnedOnceNamingTheStatusAndTheLocation() {
        server.createContext("/moved", exchange -> {
            exchange.getResponseHeaders().add("Location", "https://127.0.0.1:8443/actuator/health");
            exchange.sendResponseHeaders(301, -1);
            exchange.close();
        });
        try (CapturedLogs logs = pollerLogs()) {
            WorkerEndpoint worker = registerAt("worker-a", "http://127.0.0.1:" + server.getAddress().getPort()
                    + "/moved");
            poller.start();
            await().atMost(DEADLINE).until(() -> linesSaying(logs, "worker health url redirects", "http.status=301")
                    >= 5);

            assertThat(worker.state()).isNotEqualTo(WorkerState.HEALTHY);
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(worker.lastPollResult()).contains("http 301")
                    .contains("redirect").contains("https://127.0.0.1:8443/actuator/health"));
            assertThat(warnings(logs)).as("one WARN for the redirect, however many polls met it").singleElement()
                    .asString().contains("worker.label=worker-a").contains("http.status=301")
                    .contains("https://127.0.0.1:8443/actuator/health");
        }
    }

    /**
     * A health URL served over TLS the director does not trust (a CA missing from its trust store, a certificate
     * without the host's name) fails every poll the same way. It is said once at WARN, with the cause, not at every
     * poll (2 a second at the default interval) and not never, as it was for a worker that had not been healthy yet.
     */
    @Test
    void aTlsFailureOfTheHealthUrlIsWarnedOnceNotAtEveryPoll(@TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(TlsIdentity.of(pki, "worker").material().keyManagers().getKeyManagers(), null, null);
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(ssl));
        https.createContext("/actuator/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        https.setExecutor(serverThreads);
        https.start();
        try (CapturedLogs logs = pollerLogs()) {
            WorkerEndpoint worker = registerAt("worker-a", "https://127.0.0.1:" + https.getAddress().getPort()
                    + "/actuator/health");
            // a handshake takes longer than the other tests' 400 ms poll timeout on a busy machine
            poller = pollingEvery(Duration.ofSeconds(1));
            poller.start();
            await().atMost(DEADLINE.multipliedBy(2)).until(() -> linesSaying(logs, "tls handshake") >= 4);

            await().atMost(DEADLINE).untilAsserted(() -> assertThat(worker.lastPollResult())
                    .contains("SSLHandshakeException"));
            assertThat(warnings(logs)).as("one WARN for the TLS failure, however many polls met it").singleElement()
                    .asString().contains("worker.label=worker-a").contains("SSLHandshakeException");
        } finally {
            https.stop(0);
        }
    }

    /**
     * A worker restarted at its address with another health URL (the operator changed
     * CONNECTION_SWAP_WORKER_ADVERTISE_HEALTH_URL after the first WARN) whose answer is a redirect again, to somewhere
     * else: that is a new problem of a new URL, and the operator must read it, not only the first URL's. The problems
     * were keyed by the worker's address alone, so the second URL's redirect went to DEBUG (a reminder 5 minutes on).
     */
    @Test
    void aNewHealthUrlAtTheSameAddressThatRedirectsIsWarnedAgain() {
        server.createContext("/moved", exchange -> {
            exchange.getResponseHeaders().add("Location", "https://127.0.0.1:8443/actuator/health");
            exchange.sendResponseHeaders(301, -1);
            exchange.close();
        });
        server.createContext("/moved-too", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:9999/login");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        try (CapturedLogs logs = pollerLogs()) {
            registerAt("worker-a", base + "/moved", "i-1");
            poller.start();
            await().atMost(DEADLINE).until(() -> warnings(logs).size() == 1);

            registerAt("worker-a", base + "/moved-too", "i-2"); // restarted with another (still wrong) URL
            await().atMost(DEADLINE).until(() -> linesSaying(logs, "worker health url redirects", "http.status=302")
                    >= 3);

            assertThat(warnings(logs)).as("the second URL's redirect is a problem of its own").hasSize(2)
                    .last().asString().contains("http.status=302").contains("http://127.0.0.1:9999/login");
        }
    }

    /**
     * The poller's lines, at DEBUG too: a health URL problem is said at WARN once, then at DEBUG for each poll that
     * meets it again. A test counts the polls that met a problem by these lines, not by the stand-in's answers or the
     * worker's failed polls: on a busy machine some polls outlast their timeout, and fail as timeouts (the last
     * poll's result then reads 'timeout') although the stand-in answered them.
     */
    private static CapturedLogs pollerLogs() {
        CapturedLogs logs = CapturedLogs.of(HealthPoller.class);
        logs.logger().setLevel(Level.DEBUG); // set back in tearDown()
        return logs;
    }

    /** How many of the lines {@code logs} captured, at any level, contain every one of {@code parts}. */
    private static long linesSaying(CapturedLogs logs, String... parts) {
        return logs.events().stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> java.util.Arrays.stream(parts).allMatch(line::contains)).count();
    }

    private static List<String> warnings(CapturedLogs logs) {
        return logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** A poller of this test's registry polling every {@code interval}, with the default timeout (80% of it). */
    private HealthPoller pollingEvery(Duration interval) {
        return new HealthPoller(registry, new HealthProperties(interval, null, 1, 2, 1), polls,
                new DirectorMeters(new SimpleMeterRegistry(), loop));
    }

    /**
     * Stops the stand-in between two polls of {@code worker}: on the registry's loop, which starts every poll, while
     * none is in flight. HttpServer's stop closes its connections at once but its listening socket only as its
     * dispatcher ends: a poll made in between could find its pooled connection closed, and the new connection the
     * JDK client sends it on once more taken by the kernel, never answered and reset. It failed 'HTTP/1.1 header
     * parser received no bytes', as polls of a peer that accepts and hangs up do. A gone worker's port closes at once,
     * and that second try is refused.
     */
    private void stopServerBetweenPollsOf(WorkerEndpoint worker) {
        await().atMost(DEADLINE).until(() -> loop.submit(() -> {
            if (!registry.pollable().contains(worker)) {
                return false; // a poll in flight
            }
            server.stop(0);
            return true;
        }).get());
    }

    private WorkerEndpoint register(String label, int httpPort) {
        return registerAt(label, "http://127.0.0.1:" + httpPort + "/actuator/health");
    }

    private WorkerEndpoint registerAt(String label, String healthUrl) {
        return registerAt(label, healthUrl, "i-1");
    }

    private WorkerEndpoint registerAt(String label, String healthUrl, String instanceId) {
        try {
            return loop.submit(() -> registry.register(new WorkerRegistration(label, "127.0.0.1:62001",
                    healthUrl, 50, instanceId, List.of("stand-in")))).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot register " + label, e);
        }
    }

    /**
     * Until {@code worker} is out of rotation and its failure reported: the registry marks it UNHEALTHY, then tells its
     * listeners, on its loop, so a test that saw the state alone could look at the failures a moment too early.
     */
    private void awaitUnhealthyAndReported(WorkerEndpoint worker) {
        await().atMost(DEADLINE).until(() -> worker.state() == WorkerState.UNHEALTHY && !failures.isEmpty());
    }
}