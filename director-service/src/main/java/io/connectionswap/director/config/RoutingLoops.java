package io.connectionswap.director.config;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The director's routing loops, in a fixed order. The first is also the registry's loop (worker state, health polls,
 * discovery); each loop owns the client connections of its socket, their relay sessions and its share of the
 * connections to every worker.
 */
public record RoutingLoops(List<EventLoop> all) {

    public RoutingLoops {
        if (all.isEmpty()) {
            throw new IllegalArgumentException("routing loops: none (expected: at least one)");
        }
        all = List.copyOf(all);
    }

    /** Every loop of {@code group}. */
    public static RoutingLoops of(EventLoopGroup group) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        return new RoutingLoops(loops);
    }

    public EventLoop registryLoop() {
        return all.get(0);
    }

    public int size() {
        return all.size();
    }
}
