package io.connectionswap.client.config;

import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.swapclient.spring.SwapClientCustomizer;
import io.netty.channel.EventLoopGroup;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The client library's I/O thread as a bean (its Netty meters are bound in {@code ClientMeters}); the library's other
 * settings (the client token stream among them) are the starter's {@code SwapClientProperties}.
 */
@Configuration(proxyBeanMethods = false)
public class ClientConfiguration {

    @Bean(destroyMethod = "shutdownPromptly")
    EventLoopGroup clientEventLoopGroup() {
        return QuicEventLoops.create("client-quic", 1);
    }

    @Bean
    SwapClientCustomizer clientEventLoop(EventLoopGroup clientEventLoopGroup) {
        return builder -> builder.eventLoopGroup(clientEventLoopGroup).quicSettings(QuicSettings.DEFAULTS);
    }
}
