package io.connectionswap.protocol.quic;

import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Creates event loop groups with threads named after their role, e.g. {@code routing-1-1}; a role shuts its group down
 * with {@link RoleEventLoopGroup#shutdownPromptly()}.
 */
public final class QuicEventLoops {

    private QuicEventLoops() {
    }

    /** A group of Java NIO loops. */
    public static RoleEventLoopGroup create(String name, int threads) {
        return create(name, threads, QuicTransport.NIO);
    }

    /** A group of loops of {@code transport}; sockets opened on it by this package take the same transport. */
    public static RoleEventLoopGroup create(String name, int threads, QuicTransport transport) {
        return create(name, threads, transport, false);
    }

    /**
     * A group of loops of {@code transport}; with {@code busyPoll} (epoll only) each loop polls its sockets without
     * sleeping: it takes a whole core, and a datagram is read without waking a sleeping thread first.
     */
    public static RoleEventLoopGroup create(String name, int threads, QuicTransport transport, boolean busyPoll) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: > 0)");
        }
        return new RoleEventLoopGroup(threads, new DefaultThreadFactory(name, true), transport.ioHandlerFactory(busyPoll));
    }
}
