package io.connectionswap.swapclient.spring;

import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * A {@link SwapClient} bean built from {@link SwapClientProperties}, with every {@link SwapClientListener} bean as
 * its metrics hooks and every {@link SwapClientCustomizer} applied; it connects when the context starts. Active once
 * {@code connection-swap.client.director-target} is set (an application on a shared classpath that does not set it,
 * such as a director, gets no client). Declare your own {@code SwapClient} bean to replace it.
 */
@AutoConfiguration
@ConditionalOnClass(SwapClient.class)
@ConditionalOnProperty(prefix = "connection-swap.client", name = "director-target")
@EnableConfigurationProperties(SwapClientProperties.class)
public class SwapClientAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    SwapClient swapClient(SwapClientProperties properties, ObjectProvider<SwapClientListener> listeners,
                          ObjectProvider<SwapClientCustomizer> customizers) {
        SwapClient.Builder builder = SwapClient.builder()
                .directors(properties.directorTarget())
                .directorTlsName(properties.directorTlsName())
                .certificates(properties.certsDir() == null || properties.certsDir().isBlank() ? null
                        : properties.certsDir())
                .retryBackoff(properties.retryBackoff(), properties.retryBackoffMax())
                .heartbeat(properties.heartbeatInterval(), properties.heartbeatTimeout())
                .listener(CompositeSwapClientListener.of(listeners.orderedStream().toList()));
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    SwapClientLifecycle swapClientLifecycle(SwapClient swapClient) {
        return new SwapClientLifecycle(swapClient);
    }
}
