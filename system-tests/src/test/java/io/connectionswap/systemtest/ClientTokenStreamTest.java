package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Pause;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.systemtest.support.RawQuicClient;
import io.connectionswap.systemtest.support.TokenReads;
import io.connectionswap.testsupport.net.Ports;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The client token stream (docs/protocol.md): a client that asks for it in its GENERATE gets every frame of that
 * generation — CONNECTED, TOKEN, END and the director's RETRY — on the token stream its connection opened (a client of
 * an older version, which opens none: on its control stream), tagged with the generation stream's id, none on the generation stream, whose FIN follows the client's; a generation moves with a
 * tagged RETRY at the last token relayed; a PAUSE on one generation stream holds that generation back, and only it, until it resumes or the slow-client
 * timeout cuts it off; {@code CONNECTION_SWAP_CLIENT_TOKEN_STREAM=false} answers on the generation stream; a client
 * that ends its token stream has its connection closed.
 */
class ClientTokenStreamTest {

    private static final int STREAMS = 20;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");

    @Test
    void everyFrameOfAGenerationThatAsksComesTaggedOnTheControlStreamAndItMovesThere() throws Exception {
        cluster.startDirector();
        ConfigurableApplicationContext workerA = cluster.startWorker("worker-a", Ports.freeUdpPort());
        cluster.startWorker("worker-b", 0);
        cluster.awaitEligibleWorkers(DEADLINE);
        RawQuicClient client = clientWithControlStream();

        List<RawQuicClient.Stream> whole = open(client, "whole", 30, STREAMS);
        for (int i = 0; i < STREAMS; i++) {
            RawQuicClient.Stream stream = whole.get(i);
            TokenReads.tokens(stream, 0, 30, i);
            Message end = stream.next(10);
            assertThat(end).as("stream %d after its 30 tokens", i).isInstanceOf(End.class);
            assertThat(((End) end).lastSequence()).isEqualTo(30);
            assertThat(stream.taggedFrames.get()).as("stream %d: CONNECTED, 30 tokens and END, tagged", i).isEqualTo(32);
            assertThat(stream.ownFrames.get()).as("stream %d: nothing but the FIN on its own stream", i).isZero();
            stream.done(); // our FIN after the final frame; the director's follows
        }
        await("the director's FIN follows each client's FIN").atMost(DEADLINE)
                .until(() -> whole.stream().allMatch(stream -> stream.closed));
        await("every session ended").atMost(DEADLINE).until(() -> cluster.registry().workers().stream()
                .mapToInt(WorkerEndpoint::activeStreams).sum() == 0);
        assertThat(streamsOnClientTokenStream()).as("connection_swap_client_token_stream_streams_total")
                .isEqualTo(STREAMS);

        List<RawQuicClient.Stream> moving = open(client, "moving", 2000, STREAMS);
        List<String> servedBy = new ArrayList<>();
        int[] lastSeen = new int[STREAMS];
        for (int i = 0; i < STREAMS; i++) {
            Message first = moving.get(i).next(10);
            assertThat(first).as("stream %d: the first frame", i).isInstanceOf(Connected.class);
            servedBy.add(((Connected) first).worker());
        }
        for (int i = 0; i < STREAMS; i++) {
            lastSeen[i] = TokenReads.tokens(moving.get(i), 0, 3, i);
        }
        assertThat(servedBy).contains("worker-a", "worker-b");
        CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> cluster.stop(workerA));
        for (int i = 0; i < STREAMS; i++) {
            RawQuicClient.Stream stream = moving.get(i);
            if (servedBy.get(i).equals("worker-a")) {
                Retry retry = TokenReads.untilRetry(stream, lastSeen, i, DEADLINE);
                assertThat(retry.lastSequence()).as("stream %d: RETRY after the last token relayed", i)
                        .isEqualTo(lastSeen[i]);
                assertThat(stream.ownFrames.get()).as("stream %d: the RETRY came tagged too", i).isZero();
                stream.done();
            } else {
                lastSeen[i] = TokenReads.tokens(stream, lastSeen[i], 3, i);
            }
        }
        drained.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aClientThatOpensItsOwnTokenStreamGetsTheTaggedFramesThereAndOnlyEchoesOnItsControlStream() throws Exception {
        cluster.startDirector();
        cluster.startWorker("worker-a", 0);
        cluster.awaitEligibleWorkers(DEADLINE);
        RawQuicClient client = cluster.rawClient();
        RawQuicClient.Stream control = client.openControlStream();
        RawQuicClient.Stream tokens = client.openClientTokenStream();
        control.write(new Heartbeat(System.nanoTime())); // sent after TOKEN_STREAM: the director has read it by the echo
        assertThat(control.next(10)).as("the first heartbeat's echo").isInstanceOf(Heartbeat.class);
        assertThat(control.next(10)).as("the second heartbeat's echo").isInstanceOf(Heartbeat.class);

        List<RawQuicClient.Stream> streams = open(client, "own-token-stream", 30, STREAMS);
        for (int i = 0; i < STREAMS; i++) {
            RawQuicClient.Stream stream = streams.get(i);
            TokenReads.tokens(stream, 0, 30, i);
            assertThat(stream.next(10)).as("stream %d after its 30 tokens", i).isInstanceOf(End.class);
            assertThat(stream.taggedFrames.get()).as("stream %d: CONNECTED, 30 tokens and END, tagged", i).isEqualTo(32);
            assertThat(stream.ownFrames.get()).as("stream %d", i).isZero();
            stream.done();
        }
        assertThat(tokens.carriedTagged.get()).as("every tagged frame on the client token stream")
                .isEqualTo(STREAMS * 32);
        assertThat(control.carriedTagged.get()).as("none on the control stream").isZero();
        assertThat(tokens.closed).isFalse();

        // the client ends its token stream while a generation is served on it: the director closes the connection
        // (the client library then resumes its generations on a new one)
        RawQuicClient.Stream served = open(client, "cut", 60_000, 1).get(0);
        TokenReads.tokens(served, 0, 3, 0);
        tokens.finish();
        await("the director closes the connection").atMost(DEADLINE).until(() -> !client.connection().isActive());
    }

    @Test
    void aPausedGenerationHoldsOnlyItselfBackAndIsCutOffWhenItStaysPaused() throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT=5s");
        cluster.startWorker("worker-a", 0);
        cluster.awaitEligibleWorkers(DEADLINE);
        RawQuicClient client = clientWithControlStream();

        RawQuicClient.Stream resuming = open(client, "resuming", 60_000, 1).get(0);
        RawQuicClient.Stream stuck = open(client, "stuck", 60_000, 1).get(0);
        int resumingLast = TokenReads.tokens(resuming, 0, 3, 0);
        TokenReads.tokens(stuck, 0, 3, 1);
        resuming.write(new Pause(true));
        stuck.write(new Pause(true));

        // the others on the same connection and the same worker go on while those two are paused
        List<RawQuicClient.Stream> others = open(client, "others", 40, 5);
        for (int i = 0; i < others.size(); i++) {
            TokenReads.tokens(others.get(i), 0, 40, i + 2);
            assertThat(others.get(i).next(10)).as("stream %d", i + 2).isInstanceOf(End.class);
            others.get(i).done();
        }
        // what was in flight at the pause, then nothing more; reading on again continues in sequence
        resuming.write(new Pause(false));
        int heldBack = resuming.replies.size();
        resumingLast = TokenReads.tokens(resuming, resumingLast, heldBack + 20, 0);
        assertThat(resuming.ownFrames.get()).isZero();

        await("the generation left paused is cut off (TOO_SLOW), and only it").atMost(DEADLINE)
                .until(() -> stuck.resetCode() == ErrorCode.TOO_SLOW.code());
        TokenReads.tokens(resuming, resumingLast, 5, 0);
        assertThat(resuming.resetCode()).isEqualTo(-1);
    }

    @Test
    void switchedOffTheDirectorAnswersOnTheGenerationStreamThoughTheClientAsks() throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_CLIENT_TOKEN_STREAM=false");
        cluster.startWorker("worker-a", 0);
        cluster.awaitEligibleWorkers(DEADLINE);
        List<RawQuicClient.Stream> streams = open(clientWithControlStream(), "own", 20, STREAMS);
        for (int i = 0; i < STREAMS; i++) {
            TokenReads.tokens(streams.get(i), 0, 20, i);
            assertThat(streams.get(i).next(10)).as("stream %d", i).isInstanceOf(End.class);
            assertThat(streams.get(i).taggedFrames.get()).as("stream %d", i).isZero();
            assertThat(streams.get(i).ownFrames.get()).as("stream %d: CONNECTED, 20 tokens, END", i).isEqualTo(22);
        }
        assertThat(streamsOnClientTokenStream()).as("connection_swap_client_token_stream_streams_total").isZero();
        assertThat(cluster.director().getBean(MeterRegistry.class).get("connection.swap.streams.started")
                .tag("kind", "new").counter().count()).isEqualTo(STREAMS);
    }

    private double streamsOnClientTokenStream() {
        return cluster.director().getBean(MeterRegistry.class).get("connection.swap.client.token.stream.streams")
                .counter().count();
    }

    /** A raw client whose control stream the director knows (its heartbeat was echoed). */
    private RawQuicClient clientWithControlStream() throws Exception {
        RawQuicClient client = cluster.rawClient();
        RawQuicClient.Stream control = client.openControlStream();
        assertThat(control.next(10)).as("the heartbeat's echo").isInstanceOf(Heartbeat.class);
        return client;
    }

    private static GenerationRequest request(String name, int index, int maxTokens) {
        return GenerationRequest.completion(name + "-" + index, "prompt " + name + " " + index, maxTokens)
                .withTokenStream(true);
    }

    private static List<RawQuicClient.Stream> open(RawQuicClient client, String name, int maxTokens, int count)
            throws Exception {
        List<RawQuicClient.Stream> streams = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RawQuicClient.Stream stream = client.openStream();
            stream.write(request(name, i, maxTokens));
            streams.add(stream);
        }
        return streams;
    }
}
