package io.connectionswap.bench;

import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.worker.model.PacedBackend;
import io.connectionswap.worker.model.Pacing;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The bench's model for in-JVM workers: the text of a token is {@code t<System.nanoTime() at emit>}, so a client in
 * the same JVM computes each token's latency with one clock. Paced like the stand-in (or in lockstep, {@link Pacing}),
 * answering to the model name {@code stand-in}; resumes are not checked (the text is a clock, not a function of the
 * prompt). {@link #ready} drives the worker's Actuator health (its "model" indicator): false turns the worker DOWN for
 * the director's poll.
 */
final class TimestampTokenModel implements ModelBackend {

    private final PacedBackend paced;
    private volatile boolean ready = true;

    TimestampTokenModel(Duration tokenInterval, Pacing pacing, ScheduledExecutorService scheduler) {
        this.paced = new PacedBackend("bench-timestamp", List.of("stand-in"), tokenInterval, scheduler,
                (prompt, sequence) -> "t" + System.nanoTime(), PacedBackend.ResumeCheck.NONE, pacing);
    }

    @Override
    public String name() {
        return paced.name();
    }

    @Override
    public List<String> models() {
        return paced.models();
    }

    @Override
    public Duration tokenInterval() {
        return paced.tokenInterval();
    }

    @Override
    public Flow.Publisher<ModelEvent> generate(GenerationContext context) {
        return paced.generate(context);
    }

    @Override
    public boolean isReady() {
        return ready;
    }

    void ready(boolean value) {
        ready = value;
    }

    /** The emit timestamp in a token frame's payload ({@code u32 seq | 't' digits}), or -1. */
    static long emittedNanos(io.netty.buffer.ByteBuf frame) {
        int index = frame.readerIndex() + io.connectionswap.protocol.frame.Frames.HEADER_BYTES + Integer.BYTES;
        int end = frame.writerIndex();
        if (index >= end || frame.getByte(index) != 't') {
            return -1;
        }
        long value = 0;
        int digits = 0;
        for (index++; index < end; index++) {
            byte b = frame.getByte(index);
            if (b < '0' || b > '9') {
                return -1;
            }
            value = value * 10 + (b - '0');
            digits++;
        }
        return digits == 0 ? -1 : value;
    }
}
