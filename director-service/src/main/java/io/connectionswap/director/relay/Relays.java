package io.connectionswap.director.relay;

import io.connectionswap.director.config.DirectorProperties;
import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.director.config.RoutingLoops;
import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerFrames;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.tracing.RelayTracing;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.RawFrame;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@link Relay} per routing loop, shared-nothing: a client stream is relayed by the relay of the loop its
 * connection lives on, over that loop's connections to the worker. This class only finds the right one and adds
 * their figures up.
 */
public final class Relays implements WorkerFrames {

    private final List<Relay> relays;

    public Relays(List<Relay> relays) {
        if (relays.isEmpty()) {
            throw new IllegalArgumentException("relays: none (expected: one per routing loop)");
        }
        this.relays = List.copyOf(relays);
    }

    /** A relay on each of {@code loops}, each hearing of failed workers from {@code registry}. */
    public static Relays create(RoutingLoops loops, WorkerRegistry registry, DirectorProperties properties,
                                LimitProperties limits, FrameLimits frameLimits, DirectorMeters meters,
                                RelayTracing tracing) {
        List<Relay> relays = new ArrayList<>(loops.size());
        AtomicLong streamIds = new AtomicLong();
        for (EventLoop loop : loops.all()) {
            relays.add(new Relay(loop, streamIds, registry, properties, limits, frameLimits, meters, tracing,
                    System::nanoTime));
        }
        Relays all = new Relays(relays);
        registry.routeWorkerFrames(all);
        return all;
    }

    /** A token stream's frame, read on a routing loop: to that loop's relay, which holds the stream's session. */
    @Override
    public void fromWorker(WorkerEndpoint worker, long streamId, RawFrame frame) {
        for (Relay relay : relays) {
            if (relay.loop().inEventLoop()) {
                relay.fromWorker(worker, streamId, frame);
                return;
            }
        }
        frame.release(); // not a routing loop: no session lives here
    }

    /** The relay of {@code loop} takes the frames of the token streams read there. */
    @Override
    public WorkerFrames on(EventLoop loop) {
        return of(loop);
    }

    /** The relay of {@code loop}; the first one when {@code loop} is not a routing loop. */
    public Relay of(EventLoop loop) {
        for (Relay relay : relays) {
            if (relay.loop() == loop) {
                return relay;
            }
        }
        return relays.get(0);
    }

    public List<Relay> all() {
        return relays;
    }

    /** Sessions running on every loop (any thread). */
    public int activeSessions() {
        int active = 0;
        for (Relay relay : relays) {
            active += relay.activeSessions();
        }
        return active;
    }

    public void start() {
        relays.forEach(Relay::start);
    }

    public void stop() {
        relays.forEach(Relay::stop);
    }

    /**
     * Each relay drains on its own loop ({@link Relay#drain}); completes, on {@code loop}, with how many generations
     * were asked to move in all.
     */
    public Future<Integer> drain(String why, EventLoop loop) {
        Promise<Integer> drained = loop.newPromise();
        AtomicInteger moved = new AtomicInteger();
        AtomicInteger pending = new AtomicInteger(relays.size());
        for (Relay relay : relays) {
            relay.loop().execute(() -> {
                try {
                    moved.addAndGet(relay.drain(why));
                } finally {
                    if (pending.decrementAndGet() == 0) {
                        loop.execute(() -> drained.trySuccess(moved.get()));
                    }
                }
            });
        }
        return drained;
    }
}
