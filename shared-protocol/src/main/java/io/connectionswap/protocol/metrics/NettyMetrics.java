package io.connectionswap.protocol.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;

/** Netty's own meters: buffer allocator memory and pending tasks per event loop (Micrometer's netty4 binders). */
public final class NettyMetrics {

    private NettyMetrics() {
    }

    public static void bind(MeterRegistry registry, EventLoopGroup loops) {
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
        new NettyEventExecutorMetrics(loops).bindTo(registry);
    }
}
