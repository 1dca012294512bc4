package io.connectionswap.client.config;

import io.connectionswap.client.health.DirectorConnectionHealthIndicator;
import io.connectionswap.client.quic.DirectorConnection;
import io.connectionswap.client.stream.GenerationListener;
import io.connectionswap.client.stream.GenerationLoop;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.spring.SwapClientProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the demo loop (when on) and the health of the library's director connection. */
@Configuration(proxyBeanMethods = false)
public class ClientBeans {

    @Bean
    DirectorConnection directorConnection(SwapClient client, SwapClientProperties properties) {
        return new DirectorConnection(client, properties.directorTarget());
    }

    @Bean
    @ConditionalOnBooleanProperty(name = "connection-swap.client.demo", matchIfMissing = true)
    GenerationLoop generationLoop(ClientProperties properties, SwapClient client,
                                  ObjectProvider<GenerationListener> listeners) {
        return new GenerationLoop(properties, client, listeners.orderedStream().toList());
    }

    @Bean("director")
    DirectorConnectionHealthIndicator directorConnectionHealthIndicator(DirectorConnection connection) {
        return new DirectorConnectionHealthIndicator(connection);
    }
}
