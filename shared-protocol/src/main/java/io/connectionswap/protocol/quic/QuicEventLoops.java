package io.connectionswap.protocol.quic;

import io.netty.channel.IoEventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Creates event loop groups with threads named after their role, e.g. {@code routing-1-1}; a role shuts its group down
 * with {@link RoleEventLoopGroup#shutdownPromptly()}.
 */
public final class QuicEventLoops {

    private QuicEventLoops() {
    }

    /**
     * One Java NIO loop of its own, outside any group, its thread named {@code <name>-N-1}; shut it down with
     * {@code shutdownGracefully(0, ...)}. Unlike a group's loop, whose end the group hears of through Netty's
     * {@code GlobalEventExecutor} (a thread that lingers a second or two after), it leaves no thread behind once it has
     * ended: for a library that runs on a loop of its own inside an application (the swap client).
     */
    public static IoEventLoop single(String name) {
        return new SingleThreadIoEventLoop(null, new DefaultThreadFactory(name, true),
                QuicTransport.NIO.ioHandlerFactory(false));
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
