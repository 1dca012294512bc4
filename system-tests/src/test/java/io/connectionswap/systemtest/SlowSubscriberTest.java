package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.DeterministicTokenModel;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.systemtest.support.GenerationRecorder;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A subscriber of the client library that stops requesting: the library stops reading the stream, the director is
 * held back by the stream window and, after its slow-client timeout, resets the stream with {@code TOO_SLOW} and
 * stops the worker. The library notices that reset although it is not reading (a paused leg probes with a heartbeat,
 * whose write fails once the director sent STOP_SENDING), releases the stream at once, and ends the generation with
 * {@code TOO_SLOW} after the events it holds (a resume would only be cut off again). In-JVM, with a 16 KiB stream
 * window on the client so that the stand-in fills it in a second.
 */
class SlowSubscriberTest {

    private static final DeterministicTokenModel MODEL = new DeterministicTokenModel();
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("1ms");
    @AutoClose
    private SwapClient client;

    @Test
    void aSubscriberThatStopsRequestingIsCutOffWithTooSlowAndItsStreamIsReleasedOnEverySide() throws Exception {
        ConfigurableApplicationContext director = cluster.startDirector("--CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT=3s",
                "--CONNECTION_SWAP_HEALTH_INTERVAL=500ms");
        ConfigurableApplicationContext worker = cluster.startWorker("worker-a", 0);
        await().atMost(DEADLINE).until(() -> cluster.registry().healthyCount() == 1);
        int linkStreams = cluster.registry().heldStreams(); // the heartbeat stream of each connection to the worker
        client = cluster.clientBuilder()
                .quicSettings(new QuicSettings(Duration.ofSeconds(10), 64L * 1024 * 1024, 16 * 1024, 1000,
                        FrameLimits.DEFAULTS))
                .build().start();
        await().atMost(DEADLINE).until(() -> client.connectionState().connected());

        GenerationRecorder recorder = new GenerationRecorder(10); // then nothing for a while
        client.completion("stand-in", "slow subscriber", SamplingParameters.maxTokens(60_000)).subscribe(recorder);

        await("the director cuts the slow client off").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> counter(director, "connection.swap.limit.hits", "limit", "slow_client") == 1);
        long cutOff = System.nanoTime();
        MeterRegistry workerMeters = worker.getBean(MeterRegistry.class);
        await("the client releases its stream though it reads nothing, and so do director and worker")
                .atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> client.openStreams() == 2 // its control stream and its client token stream
                        && workerMeters.get("connection.swap.worker.streams.active").gauge().value() == 0
                        && cluster.registry().heldStreams() == linkStreams);
        System.out.printf("client stream released %d ms after the cut-off%n", (System.nanoTime() - cutOff) / 1_000_000);
        assertThat(recorder.ended()).as("nothing delivered beyond the 10 events asked for").isFalse();
        assertThat(recorder.events).hasSize(10);

        recorder.request(Long.MAX_VALUE); // the subscriber is back: what was held, then the error
        await().atMost(DEADLINE).until(recorder::ended);
        assertThat(recorder.failure()).isInstanceOf(GenerationException.class);
        assertThat(((GenerationException) recorder.failure()).code()).isEqualTo(ErrorCode.TOO_SLOW);
        StringBuilder text = new StringBuilder();
        int last = 0;
        for (GenerationEvent event : recorder.events) {
            if (event instanceof GenerationEvent.Token token) {
                assertThat(token.sequence()).isEqualTo(last + 1);
                last = token.sequence();
                text.append(token.text());
            }
        }
        assertThat(last).as("tokens held for the subscriber").isPositive();
        assertThat(text.toString()).isEqualTo(MODEL.text("slow subscriber", 1, last));
        assertThat(counter(director, "connection.swap.swaps", "reason", "stall") + counter(director, "connection.swap.swaps", "reason", "health"))
                .as("no swap: the worker did nothing wrong").isZero();
    }

    private static double counter(ConfigurableApplicationContext context, String name, String tag, String value) {
        return context.getBean(MeterRegistry.class).find(name).tag(tag, value).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }
}
