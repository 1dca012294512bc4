package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.systemtest.support.TokenReads;
import io.connectionswap.testsupport.net.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Workers that register the token-stream feature send their generations' CONNECTED, TOKEN and END frames on one
 * stream per link connection (bench/README, "The floor of a relay"): every generation still reads CONNECTED, each token
 * once and in order, and END, over many generations at once on one client connection; a draining worker's
 * generations move after the last token relayed; and {@code CONNECTION_SWAP_WORKER_TOKEN_STREAM=false} keeps each
 * generation's frames on its own stream.
 */
class TokenStreamTest {

    private static final int STREAMS = 30;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");

    @Test
    void generationsOnTheTokenStreamArriveWholeAndInOrderAndMoveAfterTheLastTokenRelayed() throws Exception {
        cluster.startDirector();
        ConfigurableApplicationContext workerA = cluster.startWorker("worker-a", Ports.freeUdpPort());
        cluster.startWorker("worker-b", 0);
        awaitWorkers(true);

        RawQuicClient client = cluster.rawClient();
        List<RawQuicClient.Stream> streams = open(client, "whole", 40);
        for (int i = 0; i < STREAMS; i++) {
            TokenReads.tokens(streams.get(i), 0, 40, i);
            Message end = streams.get(i).next(10);
            assertThat(end).as("stream %d after its 40 tokens", i).isInstanceOf(End.class);
            assertThat(((End) end).lastSequence()).isEqualTo(40);
        }
        await("every session ended").atMost(DEADLINE).until(() -> cluster.registry().workers().stream()
                .mapToInt(WorkerEndpoint::activeStreams).sum() == 0);

        List<RawQuicClient.Stream> moving = open(client, "moving", 2000);
        List<String> servedBy = new ArrayList<>();
        int[] lastSeen = new int[STREAMS];
        for (int i = 0; i < STREAMS; i++) {
            servedBy.add(connectedWorker(moving.get(i), i));
        }
        for (int i = 0; i < STREAMS; i++) {
            lastSeen[i] = TokenReads.tokens(moving.get(i), 0, 3, i);
        }
        assertThat(servedBy).contains("worker-a", "worker-b");
        CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> cluster.stop(workerA));
        for (int i = 0; i < STREAMS; i++) {
            if (servedBy.get(i).equals("worker-a")) {
                Retry retry = TokenReads.untilRetry(moving.get(i), lastSeen, i, DEADLINE);
                assertThat(retry.lastSequence()).as("stream %d: RETRY after the last token relayed", i)
                        .isEqualTo(lastSeen[i]);
            } else {
                lastSeen[i] = TokenReads.tokens(moving.get(i), lastSeen[i], 3, i);
            }
        }
        drained.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void switchedOffEachGenerationKeepsItsOwnStream() throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_WORKER_TOKEN_STREAM=false");
        cluster.startWorker("worker-a", 0);
        awaitWorkers(false);
        List<RawQuicClient.Stream> streams = open(cluster.rawClient(), "own", 20);
        for (int i = 0; i < STREAMS; i++) {
            TokenReads.tokens(streams.get(i), 0, 20, i);
            assertThat(streams.get(i).next(10)).as("stream %d", i).isInstanceOf(End.class);
        }
    }

    private void awaitWorkers(boolean tokenStream) {
        cluster.awaitEligibleWorkers(DEADLINE);
        assertThat(cluster.registry().workers()).allSatisfy(worker ->
                assertThat(worker.tokenStream()).as("%s carries tokens on a token stream", worker.label())
                        .isEqualTo(tokenStream));
    }

    private static List<RawQuicClient.Stream> open(RawQuicClient client, String name, int maxTokens)
            throws Exception {
        List<RawQuicClient.Stream> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            RawQuicClient.Stream stream = client.openStream();
            stream.write(GenerationRequest.completion(name + "-" + i, "prompt " + name + " " + i, maxTokens));
            streams.add(stream);
        }
        return streams;
    }

    private static String connectedWorker(RawQuicClient.Stream stream, int index) throws Exception {
        Message first = stream.next(10);
        assertThat(first).as("stream %d: the first frame", index).isInstanceOf(Connected.class);
        return ((Connected) first).worker();
    }
}
