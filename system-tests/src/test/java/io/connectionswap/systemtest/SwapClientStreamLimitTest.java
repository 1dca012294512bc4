package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.systemtest.support.GenerationRecorder;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A client that runs more generations at once than the director lets one connection have streams
 * ({@code CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION}, QUIC's initial max bidirectional streams): the generations
 * past the limit wait for a stream to free up, as HTTP/2 clients do past MAX_CONCURRENT_STREAMS, instead of failing
 * to open a stream ("stream ended; requesting another worker") and burning a stream id each time, which would lower
 * the connection's concurrency for good. A generation cancelled while it waits leaves the wait; the wait is told once
 * (INFO) and counted ({@code SwapClient.streamsWaiting()}). In-JVM: a director allowing 4 streams (the control stream
 * and the client token stream take two), one stand-in worker, two rounds of 12 generations, then 12 of which 6 leave
 * at once.
 */
class SwapClientStreamLimitTest {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int GENERATIONS = 12;
    private static final int TOKENS = 8;

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("10ms");
    @AutoClose
    private SwapClient client;
    /** Listening from after the cluster's start (Spring Boot's logging set-up drops the appenders before it). */
    @AutoClose
    private CapturedLogs generations;
    @AutoClose
    private CapturedLogs connection;

    @Test
    void generationsPastTheDirectorsStreamLimitWaitForAStreamAndTheCreditIsNotBurnt() throws Exception {
        start(4);

        for (int round = 1; round <= 2; round++) {
            List<GenerationRecorder> recorders = new ArrayList<>();
            for (int i = 0; i < GENERATIONS; i++) {
                GenerationRecorder recorder = new GenerationRecorder();
                recorders.add(recorder);
                client.completion("stand-in", prompt(round, i), SamplingParameters.maxTokens(TOKENS))
                        .subscribe(recorder);
            }
            await("round " + round + " ends").atMost(DEADLINE)
                    .until(() -> recorders.stream().allMatch(GenerationRecorder::ended));
            for (int i = 0; i < GENERATIONS; i++) {
                GenerationRecorder recorder = recorders.get(i);
                assertThat(recorder.failure()).as("round %d generation %d failed", round, i).isNull();
                assertThat(text(recorder)).as("round %d generation %d: every token once, in order", round, i)
                        .isEqualTo(MODEL.text(prompt(round, i), 1, TOKENS));
            }
        }
        assertThat(generations.events()).as("no generation saw a stream fail to open")
                .noneMatch(event -> event.getLevel() == Level.WARN
                        && event.getFormattedMessage().contains("stream ended; requesting another worker"));
        assertThat(connection.events()).as("the wait told once (INFO at most once a minute), not per generation")
                .filteredOn(event -> event.getLevel() == Level.INFO
                        && event.getFormattedMessage().contains("director's stream limit reached")).hasSize(1);
        assertThat(client.streamsWaiting()).isZero();

        // generations that leave while they wait leave the wait: the others complete, nothing is left waiting
        List<GenerationRecorder> staying = new ArrayList<>();
        List<GenerationRecorder> leaving = new ArrayList<>();
        for (int i = 0; i < GENERATIONS; i++) {
            GenerationRecorder recorder = new GenerationRecorder();
            (i % 2 == 0 ? staying : leaving).add(recorder);
            client.completion("stand-in", prompt(3, i), SamplingParameters.maxTokens(TOKENS)).subscribe(recorder);
        }
        leaving.forEach(GenerationRecorder::cancel);
        await("the generations that stayed complete").atMost(DEADLINE)
                .until(() -> staying.stream().allMatch(GenerationRecorder::ended));
        assertThat(staying).allMatch(GenerationRecorder::completed);
        await("nothing waits, nothing runs").atMost(DEADLINE)
                .until(() -> client.streamsWaiting() == 0 && client.activeGenerations() == 0);
        await("the streams are released: the control stream and the client token stream are left").atMost(DEADLINE)
                .until(() -> client.openStreams() == 2);
    }

    /**
     * A generation's wait for a stream is bounded as its wait for a worker is ({@code GenerationOptions.waitAtMost},
     * at least 10 s): it then fails with {@code NO_HEALTHY_WORKER} saying that the director's stream limit held it,
     * not that the director left a stream unanswered, and leaves the wait.
     */
    @Test
    void aGenerationThatWaitsForAStreamLongerThanItsWaitFailsSayingSo() throws Exception {
        start(3); // one stream for generations

        GenerationRecorder holding = new GenerationRecorder();
        client.completion("stand-in", "holds the one stream", SamplingParameters.maxTokens(60_000)).subscribe(holding);
        await().atMost(DEADLINE).until(() -> holding.events.size() > 1);
        GenerationRecorder waiting = new GenerationRecorder();
        client.completion("stand-in", "waits for a stream", SamplingParameters.maxTokens(TOKENS),
                GenerationOptions.waitAtMost(Duration.ofSeconds(1))).subscribe(waiting);
        await().atMost(DEADLINE).until(() -> client.streamsWaiting() == 1);

        await("the waiting generation gives up after 10 s").atMost(DEADLINE).until(waiting::ended);
        assertThat(waiting.failure()).isInstanceOf(GenerationException.class);
        assertThat(((GenerationException) waiting.failure()).code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(waiting.failure().getMessage()).contains("CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION")
                .doesNotContain("answered the stream with nothing");
        assertThat(client.streamsWaiting()).isZero();
        assertThat(holding.ended()).as("the generation holding the stream goes on").isFalse();
        holding.cancel();
    }

    /**
     * The director with {@code maxStreams} per connection (health polled every second: a poll missed on a busy machine
     * would move generations, and free streams), one worker, the client connected.
     */
    private void start(int maxStreams) throws Exception {
        cluster.startDirector("--CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION=" + maxStreams,
                "--CONNECTION_SWAP_HEALTH_INTERVAL=1s");
        cluster.startWorker("worker-a", 0);
        cluster.awaitEligibleWorkers(DEADLINE);
        generations = CapturedLogs.of("io.connectionswap.swapclient.SwapClient");
        connection = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection");
        client = cluster.clientBuilder().build().start();
        client.connected().get(30, TimeUnit.SECONDS);
    }

    private static String prompt(int round, int index) {
        return "stream limit round " + round + " generation " + index;
    }

    private static String text(GenerationRecorder recorder) {
        StringBuilder text = new StringBuilder();
        int last = 0;
        for (GenerationEvent event : recorder.events) {
            if (event instanceof GenerationEvent.Token token) {
                assertThat(token.sequence()).isEqualTo(last + 1);
                last = token.sequence();
                text.append(token.text());
            }
        }
        return text.toString();
    }
}
