package io.connectionswap.director.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.config.TestDirectorProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.FakeWorkerConnector;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.registry.WorkerState;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The poller against a real HTTP server on loopback: what the worker answers, how it fails, what polls cost. */
class HealthPollerTest {

    private static final Duration INTERVAL = Duration.ofMillis(50);
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

        server.stop(0); // the worker's HTTP port closes: new connections are refused
        awaitUnhealthyAndReported(worker);
        assertThat(failures).singleElement().asString().startsWith("worker-a:health:").contains("connection refused");
    }

    /**
     * The JDK client's {@code sendAsync} completes each response on the {@code CompletableFuture} default executor,
     * which on two CPUs or fewer starts a thread per task: a thread per poll. Blocking sends on the poll pool start
     * none once the pool has its thread.
     */
    @Test
    void pollsStartNoThreadEachOnceThePoolHasItsThreads() throws InterruptedException {
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

    private WorkerEndpoint register(String label, int httpPort) {
        try {
            return loop.submit(() -> registry.register(new WorkerRegistration(label, "127.0.0.1:62001",
                    "http://127.0.0.1:" + httpPort + "/actuator/health", 50, "i-1", List.of("stand-in"))))
                    .get(5, TimeUnit.SECONDS);
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