package io.connectionswap.director.config;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class DirectorConfiguration {

    /** QUIC limits of every connection; GENERATE frames up to {@code CONNECTION_SWAP_MAX_REQUEST_BYTES}. */
    @Bean
    QuicSettings quicSettings(LimitProperties limits) {
        return QuicSettings.DEFAULTS.withMaxRequestBytes(limits.maxRequestBytesInt());
    }

    /**
     * The routing loops ({@code CONNECTION_SWAP_ROUTING_LOOPS}, default one per processor), shared-nothing: each
     * carries the client connections that reach its socket, their relay sessions and its own connections to every
     * worker, so a relayed frame never changes thread and needs no lock. The first also owns the worker registry.
     */
    @Bean(destroyMethod = "shutdownPromptly")
    EventLoopGroup directorEventLoopGroup(DirectorProperties properties) {
        // threads "routing-P-N": short enough for /proc/<pid>/task/*/comm (15 characters) to tell the loops apart
        return QuicEventLoops.create("routing", properties.routingLoopCount(), properties.transport(),
                properties.busyPoll());
    }

    @Bean
    RoutingLoops routingLoops(EventLoopGroup directorEventLoopGroup) {
        return RoutingLoops.of(directorEventLoopGroup);
    }

    /** The registry's loop: worker state, health polls and discovery are changed on it only. */
    @Bean(destroyMethod = "")
    EventLoop routingLoop(RoutingLoops routingLoops) {
        return routingLoops.registryLoop();
    }

    /** Blocking work kept off the event loops: resolving a worker's address before its link is dialled. */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService directorBlockingExecutor() {
        return Executors.newFixedThreadPool(2, new DefaultThreadFactory("director-io", true));
    }

    /**
     * The health polls: one blocking request per worker polled at once, so a thread per worker, kept between rounds
     * (idle threads end after a minute). A hung worker holds its thread for at most the poll timeout.
     */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService directorHealthPollExecutor() {
        return Executors.newCachedThreadPool(new DefaultThreadFactory("director-health", true));
    }
}
