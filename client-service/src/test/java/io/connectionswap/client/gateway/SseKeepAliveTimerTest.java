package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What a keep-alive costs and leaves behind: one timer per answer however many tokens pass, none once the answer has
 * ended (completed, failed, its client gone), and no comment after the last chunk even when it waited on a slow
 * reader for longer than the interval. The timers run on an executor the test can look into.
 */
class SseKeepAliveTimerTest {

    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    private final Scheduler timers;

    SseKeepAliveTimerTest() {
        // a cancelled timer leaves the queue at once: the queue is what is pending
        executor.setRemoveOnCancelPolicy(true);
        timers = Schedulers.fromExecutorService(executor, "sse-keep-alive-test");
    }

    @AfterEach
    void stop() {
        timers.dispose();
        executor.shutdownNow();
    }

    enum End { COMPLETED, FAILED, CLIENT_GONE }

    @ParameterizedTest
    @EnumSource(End.class)
    void anAnswerHoldsOneTimerWhateverItsTokensAndNoneOnceItEnded(End end) {
        Sinks.Many<byte[]> chunks = Sinks.many().unicast().onBackpressureBuffer();
        List<byte[]> sent = new CopyOnWriteArrayList<>();
        AtomicBoolean terminated = new AtomicBoolean();
        var answer = new SseKeepAlive(Duration.ofMinutes(1), timers).around(chunks.asFlux())
                .subscribe(sent::add, failure -> terminated.set(true), () -> terminated.set(true));

        for (int i = 0; i < 1000; i++) {
            chunks.tryEmitNext(("data: " + i + "\n\n").getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(sent).hasSize(1000);
        assertThat(executor.getQueue()).as("timers pending after 1000 tokens").hasSize(1);

        switch (end) {
            case COMPLETED -> chunks.tryEmitComplete();
            case FAILED -> chunks.tryEmitError(new IllegalStateException("generation failed"));
            case CLIENT_GONE -> answer.dispose();
        }
        await("no timer left once the answer ended (" + end + ")").atMost(Duration.ofSeconds(5))
                .until(() -> executor.getQueue().isEmpty());
        assertThat(terminated.get() || end == End.CLIENT_GONE).as("the answer ended").isTrue();
        assertThat(executor.getCompletedTaskCount()).as("timers that ran").isZero();
    }

    /**
     * A reader that takes nothing for longer than the interval while the last chunk ({@code [DONE]}) waits for it: the
     * timer's checks wait with it, and when the reader takes more none of them becomes a comment, before the last
     * chunk or after it: once the chunks have all come, the answer is no longer silent, only slow to be read.
     */
    @Test
    void noCommentOnceTheLastChunkCameThoughItWaitedOnASlowReaderForLongerThanTheInterval() {
        Duration interval = Duration.ofMillis(100);
        byte[] token = "data: {\"text\":\"a\"}\n\n".getBytes(StandardCharsets.US_ASCII);
        byte[] done = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
        Sinks.Many<byte[]> chunks = Sinks.many().unicast().onBackpressureBuffer();
        List<byte[]> sent = new CopyOnWriteArrayList<>();
        AtomicBoolean completed = new AtomicBoolean();
        BaseSubscriber<byte[]> slowReader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(1);
            }

            @Override
            protected void hookOnNext(byte[] chunk) {
                sent.add(chunk);
            }

            @Override
            protected void hookOnComplete() {
                completed.set(true);
            }
        };
        new SseKeepAlive(interval, timers).around(chunks.asFlux()).subscribe(slowReader);
        chunks.tryEmitNext(token);
        assertThat(sent).containsExactly(token);
        slowReader.request(1); // room for one comment, then none
        await("a comment in the silence after the token").atMost(Duration.ofSeconds(5)).until(() -> sent.size() == 2);
        chunks.tryEmitNext(done); // waits for the reader
        chunks.tryEmitComplete();
        long ran = executor.getCompletedTaskCount();
        await("the keep-alive timer ran while the last chunk waited for the reader")
                .atMost(Duration.ofSeconds(5)).until(() -> executor.getCompletedTaskCount() >= ran + 2);

        slowReader.request(10);
        await("the end").atMost(Duration.ofSeconds(5)).untilTrue(completed);
        assertThat(sent).containsExactly(token, SseKeepAlive.COMMENT, done);
        await("no timer left").atMost(Duration.ofSeconds(5)).until(() -> executor.getQueue().isEmpty());
    }

    @Test
    void zeroTurnsItOff() {
        Flux<byte[]> chunks = Flux.never();
        assertThat(new SseKeepAlive(Duration.ZERO, timers).around(chunks)).isSameAs(chunks);
        assertThat(executor.getTaskCount()).isZero();
    }

    @Test
    void aNegativeIntervalIsRefused() {
        assertThatThrownBy(() -> new SseKeepAlive(Duration.ofSeconds(-1), timers))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: >= 0");
    }
}
