package io.connectionswap.protocol.quic;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A role's event loops ({@link QuicEventLoops}), which it shuts down with {@link #shutdownPromptly()}: a Spring bean's
 * destroy method ({@code @Bean(destroyMethod = "shutdownPromptly")}), which Spring waits for.
 */
public final class RoleEventLoopGroup extends MultiThreadIoEventLoopGroup {

    /** The most a prompt shutdown waits for a task that keeps the loops busy. */
    public static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    RoleEventLoopGroup(int threads, ThreadFactory threadFactory, IoHandlerFactory ioHandlerFactory) {
        super(threads, threadFactory, ioHandlerFactory);
    }

    /**
     * {@link #shutdownGracefully()} without its 2 s quiet period. The loops still run every task already queued and
     * close their channels (a QUIC connection sends its CONNECTION_CLOSE), then end. By the time a role destroys its
     * loops, Spring has stopped everything that used them (the QUIC servers drained, the clients closed), so no task
     * is coming that the quiet period would wait for: it only held every role's exit back by 2 s.
     */
    public Future<?> shutdownPromptly() {
        return shutdownGracefully(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
