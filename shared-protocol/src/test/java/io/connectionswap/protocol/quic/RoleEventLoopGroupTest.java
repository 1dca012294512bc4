package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A prompt shutdown still runs what was queued before it, then the loops end; nothing queued after it runs. */
class RoleEventLoopGroupTest {

    @Test
    void tasksQueuedBeforeAPromptShutdownRunAndTheLoopsEnd() throws Exception {
        RoleEventLoopGroup group = QuicEventLoops.create("test-prompt", 2);
        EventLoop loop = group.next();
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean queuedRan = new AtomicBoolean();
        loop.execute(() -> {
            try {
                release.await(5, TimeUnit.SECONDS); // holds the loop, so the next task is still queued at shutdown
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop.execute(() -> queuedRan.set(true));

        Future<?> terminated = group.shutdownPromptly();
        assertThat(group.isShuttingDown()).isTrue();
        release.countDown();

        assertThat(terminated.await(RoleEventLoopGroup.SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("the group ends within its shutdown timeout").isTrue();
        assertThat(group.isTerminated()).isTrue();
        assertThat(queuedRan).as("the task queued before the shutdown ran").isTrue();
    }
}
