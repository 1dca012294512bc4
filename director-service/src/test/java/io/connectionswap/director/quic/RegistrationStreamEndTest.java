package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.HealthProperties;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerConnection;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * What a registration stream's end does to the registry's "registration open" state, which alone keeps a worker whose
 * health is unreachable from being evicted ({@code connection-swap.director.evict-after}): it was one flag, cleared by
 * whichever stream ended, and a stream could register several workers.
 */
class RegistrationStreamEndTest {

    private static final DirectorMeters METERS = new DirectorMeters(new SimpleMeterRegistry(),
            new DefaultEventLoopGroup(1));
    /** Evict after 1 ms of unreachable polls, so a test need not wait a minute. */
    private static final Duration EVICT_AFTER = Duration.ofMillis(1);
    private static final DirectorProperties PROPERTIES = new DirectorProperties("127.0.0.1:0", "d-test", null,
            Duration.ofMillis(100), Duration.ofSeconds(1), 3, Duration.ofMillis(300), Duration.ofSeconds(30),
            Duration.ofSeconds(15), EVICT_AFTER, 3, true, "nio", false, 1, 1, true, true, false);
    private static final HealthProperties HEALTH = new HealthProperties(Duration.ofMillis(500), null, 1, 2, 4);
    private static final QuicChannel WORKER_CONNECTION = PeerConnections.connection("worker");

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final WorkerRegistry registry = new WorkerRegistry(loop.eventLoop(), Runnable::run, this::connect,
            PROPERTIES, HEALTH, METERS);
    private long streamIds;

    /**
     * A worker's registration connection dies without the director hearing it (a network blip); the worker, with
     * the same instance id, registers again on a new connection (stream B) before the director's side of the old one
     * (stream A) times out. A's end cleared the registry's "registration open" flag although B was open: the
     * worker, still registered, was evicted once its health port was unreachable for evictAfter, and since B stayed
     * open it never registered again: it was gone from rotation until it restarted (its DRAIN on B ignored too).
     */
    @Test
    void theOldStreamOfAWorkerThatRegisteredAgainClosingDoesNotMakeItEvictable() {
        EmbeddedQuicStream a = registrationStream();
        a.writeInbound(registration("worker-a", "127.0.0.1:62001", "i-1"));
        settle();
        EmbeddedQuicStream b = registrationStream();
        b.writeInbound(registration("worker-a", "127.0.0.1:62001", "i-1")); // same instance, registered again
        settle();
        a.close(); // the director's side of the dead connection times out, after B registered
        settle();
        assertThat(b.isActive()).isTrue();

        WorkerEndpoint worker = registry.workers().get(0);
        unreachableForLongerThanEvictAfter(worker);

        assertThat(registry.workers()).as("a worker whose registration stream B is open is not evicted")
                .containsExactly(worker);
    }

    /**
     * Several REGISTER messages on one stream (a broken or hostile peer with the worker certificate) each added a
     * worker; when the stream ended only the last one was marked unregistered, so the others were never evicted.
     * A second REGISTER now ends the stream (UNEXPECTED_MESSAGE).
     */
    @Test
    void everyWorkerAStreamRegisteredIsEvictableOnceTheStreamEnded() {
        EmbeddedQuicStream stream = registrationStream();
        for (int port = 62001; port <= 62003; port++) {
            stream.writeInbound(registration("worker-" + port, "127.0.0.1:" + port, "i-" + port));
            settle();
        }
        stream.close();
        settle();

        for (WorkerEndpoint worker : List.copyOf(registry.workers())) {
            unreachableForLongerThanEvictAfter(worker);
        }
        assertThat(registry.workers()).as("workers of a closed registration stream, unreachable past evictAfter")
                .isEmpty();
    }

    /**
     * A worker pod is deleted: its registration ends, it leaves DNS, its QUIC link is lost and every redial fails.
     * Kubernetes soon gives its pod IP to another pod that answers HTTP on the health port, but not as this worker
     * (a 404, or any non-UP answer). Eviction looked only at "unreachable" polls, which an answer resets, so the gone
     * worker was kept for good: listed, polled and dialled every 2 s for as long as the director ran; with many
     * short-lived pods over hours such entries piled up. A link down for evictAfter counts too now.
     */
    @Test
    void aWorkerThatIsGoneIsEvictedEvenWhenItsAddressNowAnswersHttpAsSomethingElse() {
        EmbeddedQuicStream stream = registrationStream();
        stream.writeInbound(registration("worker-a", "127.0.0.1:62001", "i-1"));
        settle();
        WorkerEndpoint worker = registry.workers().get(0);
        stream.close(); // the pod is gone
        linksUp = false;
        lastOnLost.accept("connection closed");
        settle();
        // the pod IP's new owner answers the health URL, not as a worker
        pollPastEvictAfter(worker, PollResult.answered("UNKNOWN", 404));
        assertThat(worker.linkUp()).isFalse();
        assertThat(registry.workers()).as("a worker unregistered, not in DNS, its link down past evictAfter")
                .isEmpty();
    }

    private volatile boolean linksUp = true;
    private Consumer<String> lastOnLost;

    private void unreachableForLongerThanEvictAfter(WorkerEndpoint worker) {
        pollPastEvictAfter(worker, PollResult.unreachable("connection refused"));
    }

    /** Polls {@code worker} with {@code result}, then again once {@link #EVICT_AFTER} has passed since. */
    private void pollPastEvictAfter(WorkerEndpoint worker, PollResult result) {
        poll(worker, result);
        Instant first = Instant.now();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(1))
                .until(() -> Instant.now().isAfter(first.plus(EVICT_AFTER)));
        poll(worker, result);
        poll(worker, result);
        settle();
    }

    private void poll(WorkerEndpoint worker, PollResult result) {
        registry.pollStarted(worker);
        registry.pollCompleted(worker, result);
    }

    private EmbeddedQuicStream registrationStream() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(WORKER_CONNECTION, 4 * ++streamIds,
                UnpooledByteBufAllocator.DEFAULT);
        stream.pipeline().addLast(new RegistrationStreamHandler(registry, "d-test", METERS));
        return stream;
    }

    private void settle() {
        loop.runPendingTasks();
        loop.runScheduledPendingTasks();
    }

    private static WorkerRegistration registration(String label, String address, String instance) {
        return new WorkerRegistration(label, address, "http://127.0.0.1:1/actuator/health", 50, instance,
                List.of("stand-in"));
    }

    private Future<WorkerConnection> connect(WorkerEndpoint worker, InetSocketAddress remote,
                                             java.util.function.Consumer<String> onLost) {
        if (!linksUp) {
            return loop.eventLoop().newFailedFuture(new ConnectException("connection refused"));
        }
        lastOnLost = onLost;
        return loop.eventLoop().newSucceededFuture(new WorkerConnection() {
            @Override
            public boolean isUp() {
                return linksUp;
            }

            @Override
            public Future<QuicStreamChannel> openStream(io.netty.channel.ChannelHandler initializer) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close(String reason) {
            }

            @Override
            public int streamsHeld() {
                return 0;
            }
        });
    }
}
