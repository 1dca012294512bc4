package io.connectionswap.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.testsupport.await.Holds;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stand-in is paced on the worker's event loop group, which has {@code CONNECTION_SWAP_WORKER_EVENT_LOOP_THREADS}
 * loops. A group's {@code execute} and {@code schedule} go round-robin to its loops, so one generation's ticks, requests
 * and cancel ran at once on several threads: demand was lost (fewer or more events than asked for) and a cancel that
 * met its start on another loop left the periodic tick running for good. Each generation is now paced on one loop.
 */
class PacedBackendOnLoopGroupTest {

    private final EventLoopGroup group = QuicEventLoops.create("paced-test", 2);

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aGenerationIsPacedOnOneLoopAndGetsExactlyTheEventsAskedFor() {
        PacedBackend backend = new PacedBackend("test", List.of("stand-in"), Duration.ofNanos(1_000), group,
                (prompt, n) -> "w", PacedBackend.ResumeCheck.NONE, Pacing.STAGGERED);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        AtomicLong delivered = new AtomicLong();
        AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        backend.generate(context(Integer.MAX_VALUE)).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.set(s);
            }

            @Override
            public void onNext(ModelEvent event) {
                threads.add(Thread.currentThread());
                delivered.incrementAndGet();
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        });

        int requests = 20_000;
        for (int i = 0; i < requests; i++) {
            subscription.get().request(1);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> delivered.get() >= requests);
        Holds.throughout(Duration.ofMillis(300), () -> "delivered " + delivered.get() + " for " + requests
                + " requested", () -> delivered.get() == requests);
        assertThat(threads).as("the threads that paced one generation").hasSize(1);
        subscription.get().cancel();
    }

    @Test
    void generationsCancelledAsTheyStartLeaveNoTickRunning() {
        PacedBackend backend = new PacedBackend("test", List.of("stand-in"), Duration.ofMillis(5), group,
                (prompt, n) -> "w", PacedBackend.ResumeCheck.NONE, Pacing.STAGGERED);
        AtomicLong eventsAfterCancel = new AtomicLong();
        int generations = 2_000;
        for (int i = 0; i < generations; i++) {
            backend.generate(context(1000)).subscribe(new Flow.Subscriber<>() {
                private boolean cancelled;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(16);
                    s.cancel(); // the director's FIN right behind the assignment
                    cancelled = true;
                }

                @Override
                public void onNext(ModelEvent event) {
                    if (cancelled) {
                        eventsAfterCancel.incrementAndGet();
                    }
                }

                @Override
                public void onError(Throwable throwable) {
                }

                @Override
                public void onComplete() {
                }
            });
        }

        Holds.throughout(Duration.ofMillis(200), () -> "events after the cancel: " + eventsAfterCancel.get(),
                () -> eventsAfterCancel.get() == 0);
    }

    private static GenerationContext context(int maxTokens) {
        return new GenerationContext("g-1", null, "a prompt", null, SamplingParameters.maxTokens(maxTokens), 0, "", null);
    }
}
