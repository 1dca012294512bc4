package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.reactor.netty.autoconfigure.ReactorNettyProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.resources.LoopResources;

/**
 * The event loops of the gateway's HTTP server, in place of reactor-netty's global ones: one per available processor
 * unless {@code CONNECTION_SWAP_GATEWAY_HTTP_LOOPS} says. reactor-netty runs at least 4, and on a small machine each
 * loop more costs sleeps and wake-ups per streamed chunk (bench/README, "As many HTTP loops as processors"). Spring
 * Boot backs off its own resource factory for this one, and stops these loops after the server's graceful shutdown,
 * as it does the global ones.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewayProperties.class)
public class GatewayHttpLoops {

    /** Prefix of the loops' thread names ({@code gateway-http-epoll-1}, or {@code -nio-} without epoll). */
    public static final String THREAD_PREFIX = "gateway-http";

    private static final Logger log = LoggerFactory.getLogger(GatewayHttpLoops.class);

    @Bean
    ReactorResourceFactory reactorResourceFactory(GatewayProperties properties,
                                                  ObjectProvider<ReactorNettyProperties> reactorNetty) {
        int loops = properties.httpLoopCount();
        LogLine.info(log).field("http.loops", loops).log("gateway http event loops");
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        factory.setLoopResourcesSupplier(() -> LoopResources.create(THREAD_PREFIX, loops, true));
        reactorNetty.ifAvailable(settings -> {
            if (settings.getShutdownQuietPeriod() != null) {
                factory.setShutdownQuietPeriod(settings.getShutdownQuietPeriod());
            }
        });
        return factory;
    }
}
