package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * On the channel's own clock: a connection whose peer takes nothing of its answer (a write pending, none completed) for
 * the write timeout is closed, counted and logged; one whose writes complete now and then, or that writes nothing
 * while it waits, stays. In an {@link EmbeddedChannel} a write completes when it is flushed.
 */
class WriteStallTimeoutTest {

    private static final long TIMEOUT_MS = 1_000;

    @AutoClose
    private final CapturedLogs logs = CapturedLogs.of(WriteStallTimeout.class);
    private final AtomicInteger expired = new AtomicInteger();

    @Test
    void aPeerThatReadsNothingForTheWriteTimeoutIsCutOff() {
        EmbeddedChannel channel = stalledChannel();

        advance(channel, TIMEOUT_MS - 1);
        assertThat(channel.isOpen()).as("not before the timeout").isTrue();
        advance(channel, 1);

        assertThat(channel.isOpen()).isFalse();
        assertThat(expired).hasValue(1);
        assertThat(logs.events()).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                .contains("the peer read nothing of its answer within the write timeout", "waited.ms=1000",
                        "pending.writes=1", "pending.bytes="));
    }

    @Test
    void aPeerThatReadsSlowlyKeepsItsConnection() {
        EmbeddedChannel channel = stalledChannel();
        for (int i = 0; i < 5; i++) {
            advance(channel, TIMEOUT_MS - 1);
            channel.flushOutbound(); // the socket took the pending write
            channel.write(Unpooled.buffer(32).writeZero(32));
        }
        advance(channel, TIMEOUT_MS - 1);
        channel.flushOutbound();
        advance(channel, 10 * TIMEOUT_MS);

        assertThat(logs.events()).isEmpty();
        assertThat(expired).hasValue(0);
        assertThat(channel.isOpen()).isTrue();
        channel.finishAndReleaseAll();
    }

    @Test
    void aStreamWaitingForItsNextTokenIsNotLimited() {
        EmbeddedChannel channel = channel();
        advance(channel, 10 * TIMEOUT_MS);

        assertThat(channel.isOpen()).isTrue();
        assertThat(expired).hasValue(0);
        channel.finishAndReleaseAll();
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime(); // only advance() moves the clock the handler reads
        WriteStallTimeout.install(channel.pipeline(), Duration.ofMillis(TIMEOUT_MS), expired::incrementAndGet);
        return channel;
    }

    /** 32 bytes written and not taken (not flushed). */
    private EmbeddedChannel stalledChannel() {
        EmbeddedChannel channel = channel();
        channel.write(Unpooled.buffer(32).writeZero(32));
        return channel;
    }

    private static void advance(EmbeddedChannel channel, long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }
}
