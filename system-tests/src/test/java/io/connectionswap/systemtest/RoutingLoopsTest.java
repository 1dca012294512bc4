package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.relay.Relay;
import io.connectionswap.director.relay.Relays;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.systemtest.support.TokenReads;
import io.connectionswap.testsupport.net.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A director with two routing loops, every role in this JVM: client connections are spread over both loops (each
 * its own socket on the director's port), and a worker that drains, heard of on the registry's loop, has its streams
 * moved on both loops, each after the last token it relayed.
 */
class RoutingLoopsTest {

    /** Client connections, each on its own UDP socket: the kernel spreads them over the loops by source port. */
    private static final int CONNECTIONS = 16;
    private static final int MAX_TOKENS = 400;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("50ms");

    @Test
    void connectionsSpreadOverTheLoopsAndADrainingWorkersStreamsMoveOnEachLoop() throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_ROUTING_LOOPS=2");
        ConfigurableApplicationContext workerA = cluster.startWorker("worker-a", Ports.freeUdpPort());
        cluster.startWorker("worker-b", 0);
        await().atMost(DEADLINE).until(() -> cluster.registry().healthyCount() == 2);
        Relays relays = cluster.director().getBean(Relays.class);
        assertThat(relays.all()).hasSize(2);

        List<RawQuicClient.Stream> streams = new ArrayList<>();
        List<String> workers = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            RawQuicClient client = cluster.rawClient();
            RawQuicClient.Stream stream = client.openStream();
            stream.write(GenerationRequest.completion("loops-" + i, "prompt-" + i, MAX_TOKENS));
            Message first = stream.next(10);
            assertThat(first).as("stream %d", i).isInstanceOf(Connected.class);
            workers.add(((Connected) first).worker());
            streams.add(stream);
        }

        for (Relay relay : relays.all()) {
            assertThat(relay.activeSessions()).as("sessions relayed by the loop %s", relay.loop()).isPositive();
        }
        assertThat(relays.activeSessions()).isEqualTo(CONNECTIONS);
        assertThat(new HashSet<>(workers)).containsExactlyInAnyOrder("worker-a", "worker-b");
        int[] lastSeen = new int[CONNECTIONS];
        for (int i = 0; i < CONNECTIONS; i++) {
            lastSeen[i] = TokenReads.tokens(streams.get(i), lastSeen[i], 3, i); // every stream is flowing
        }

        CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> cluster.stop(workerA));

        Set<Integer> moved = new HashSet<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            RawQuicClient.Stream stream = streams.get(i);
            if (workers.get(i).equals("worker-a")) {
                Retry retry = TokenReads.untilRetry(stream, lastSeen, i, DEADLINE);
                assertThat(retry.lastSequence()).as("stream %d: RETRY after the last token relayed", i)
                        .isEqualTo(lastSeen[i]);
                // the worker says DRAIN before it closes; were its link to close first, the move is the same
                assertThat(retry.reason()).isIn("drain", "connection_lost");
                moved.add(i);
            } else {
                lastSeen[i] = TokenReads.tokens(stream, lastSeen[i], 3, i); // worker-b's streams go on
            }
        }
        drained.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(moved).hasSize((int) workers.stream().filter("worker-a"::equals).count());
        await("the moved sessions end on every loop").atMost(DEADLINE).until(() ->
                relays.activeSessions() == CONNECTIONS - moved.size());
    }
}
