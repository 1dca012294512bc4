package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.GenerationException;
import io.connectionswap.swapclient.GenerationOptions;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.systemtest.support.GenerationRecorder;
import io.connectionswap.systemtest.support.InJvmCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What an application embedding the client library sees around a generation's life: it can wait for the connection
 * ({@code connected()}) before asking the director anything; a generation its subscriber cancels stops counting as
 * running at once (a gateway whose HTTP callers leave mid-stream must not pile them up), and one subscribed to a
 * closed client ends with {@code CANCELLED} through {@code onError}, as Reactive Streams asks, instead of an
 * exception thrown at the caller; a completion's bounded wait for a worker ends with {@code NO_HEALTHY_WORKER}.
 * In-JVM.
 */
class SwapClientLifecycleTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int GENERATIONS = 20;

    @AutoClose
    private final InJvmCluster cluster = new InJvmCluster("20ms");
    @AutoClose
    private SwapClient client;

    @Test
    void cancelledGenerationsStopCountingAndAClosedClientRefusesThroughOnError() throws Exception {
        cluster.startDirector();
        ConfigurableApplicationContext worker = cluster.startWorker("worker-a", 0);
        await().atMost(DEADLINE).until(() -> cluster.registry().healthyCount() == 1);
        client = cluster.clientBuilder().build().start();
        client.connected().get(30, TimeUnit.SECONDS); // then the director answers at once
        assertThat(client.status().get(5, TimeUnit.SECONDS).workers()).hasSize(1);

        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        // first: its start runs on the client's loop before the others', so the wait below covers it too
        client.completion("stand-in", "cancelled at once", SamplingParameters.maxTokens(1000))
                .subscribe(new CancelInOnSubscribe());
        for (int i = 0; i < GENERATIONS; i++) {
            client.completion("stand-in", "cancelled " + i, SamplingParameters.maxTokens(1000))
                    .subscribe(new CancelAfterFirstToken(unexpected));
        }
        await("every generation cancelled (one in onSubscribe, the others after their first token)").atMost(DEADLINE)
                .until(() -> client.activeGenerations() == 0);
        MeterRegistry workerMeters = worker.getBean(MeterRegistry.class);
        await("and stopped on the worker").atMost(DEADLINE)
                .until(() -> workerMeters.get("connection.swap.worker.streams.active").gauge().value() == 0);
        assertThat(unexpected).isEmpty();

        client.close();
        assertThat(client.connected()).as("a closed client never connects").isCompletedExceptionally();
        GenerationRecorder afterClose = new GenerationRecorder();
        client.completion("stand-in", "after close", SamplingParameters.maxTokens(5)).subscribe(afterClose);
        assertThat(afterClose.subscribed()).as("onSubscribe first").isTrue();
        assertThat(afterClose.events).isEmpty();
        assertThat(afterClose.failure()).isInstanceOf(GenerationException.class);
        assertThat(((GenerationException) afterClose.failure()).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(afterClose.failure().getMessage()).contains("the client is closed");
    }

    @Test
    void aCompletionsBoundedWaitForAWorkerEndsWithNoHealthyWorker() {
        cluster.startDirector(); // and no worker
        client = cluster.clientBuilder().build().start();
        GenerationRecorder waiting = new GenerationRecorder();
        client.completion("stand-in", "nobody serves", SamplingParameters.maxTokens(5),
                GenerationOptions.waitAtMost(Duration.ofSeconds(1))).subscribe(waiting);
        await().atMost(DEADLINE).until(waiting::ended);
        assertThat(waiting.failure()).isInstanceOf(GenerationException.class).hasMessageContaining("waited PT1S");
        assertThat(((GenerationException) waiting.failure()).code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
    }

    /** Cancels before asking for anything, in {@code onSubscribe}. */
    private static final class CancelInOnSubscribe implements Flow.Subscriber<GenerationEvent> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
        }

        @Override
        public void onNext(GenerationEvent event) {
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    }

    /** Asks for everything and cancels at the first token. */
    private static final class CancelAfterFirstToken implements Flow.Subscriber<GenerationEvent> {
        private final List<Throwable> unexpected;
        private final AtomicReference<Flow.Subscription> held = new AtomicReference<>();

        CancelAfterFirstToken(List<Throwable> unexpected) {
            this.unexpected = unexpected;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            held.set(subscription);
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(GenerationEvent event) {
            if (event instanceof GenerationEvent.Token) {
                held.get().cancel();
            }
        }

        @Override
        public void onError(Throwable throwable) {
            unexpected.add(throwable);
        }

        @Override
        public void onComplete() {
            unexpected.add(new AssertionError("completed although cancelled"));
        }
    }
}
