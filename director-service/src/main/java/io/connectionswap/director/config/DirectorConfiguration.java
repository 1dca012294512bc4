package io.connectionswap.director.config;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
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
     * One thread carries every QUIC connection of the director (clients and workers) and owns the routing state:
     * the worker registry and every relay session are touched only from it, so they need no locks, and a relayed
     * frame never changes thread.
     */
    @Bean(destroyMethod = "shutdownGracefully")
    EventLoopGroup directorEventLoopGroup(DirectorProperties properties) {
        return QuicEventLoops.create("director-quic", 1, properties.transport());
    }

    @Bean(destroyMethod = "")
    EventLoop routingLoop(EventLoopGroup directorEventLoopGroup) {
        return directorEventLoopGroup.next();
    }

    /** Blocking work kept off the event loops: DNS lookups and the HTTP client of health polls. */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService directorBlockingExecutor() {
        return Executors.newFixedThreadPool(2, new io.netty.util.concurrent.DefaultThreadFactory("director-io", true));
    }
}
