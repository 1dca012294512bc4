package io.connectionswap.client.config;

import io.connectionswap.client.metrics.ClientMeters;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.swapclient.spring.SwapClientAutoConfiguration;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the client's TLS says about itself. The TLS comes from the SSL bundle {@code client} (client-service.yml),
 * wired and reloaded by the swap-client starter; here: health component {@code tls} and the gauge
 * {@code connection_swap_tls_development_ca}.
 */
@Configuration(proxyBeanMethods = false)
public class ClientTlsConfiguration {

    /** Health component {@code tls}: developmentCa, the certificate in use, trusted CAs, reloads. */
    @Bean("tls")
    HealthIndicator tlsHealthIndicator(@Qualifier(SwapClientAutoConfiguration.TLS_BEAN) TlsContexts clientTls) {
        return () -> Health.up().withDetails(clientTls.details()).build();
    }

    @Bean
    MeterBinder clientTlsGauge(ClientMeters meters,
                               @Qualifier(SwapClientAutoConfiguration.TLS_BEAN) TlsContexts clientTls) {
        return registry -> meters.bindTlsGauge(clientTls::developmentCa);
    }
}
