package io.connectionswap.director.config;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsMaterial;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The director's TLS from its Spring Boot SSL bundle: the QUIC contexts of its server (clients and registering
 * workers; client certificates as {@code CONNECTION_SWAP_CLIENT_AUTH} says) and of its links to workers (mutual
 * TLS), rebuilt when the bundle's files change; whether it runs on the development CA (health component {@code tls},
 * gauge {@code connection_swap_tls_development_ca}).
 */
@Configuration(proxyBeanMethods = false)
public class DirectorTlsConfiguration {

    @Bean
    TlsContexts directorTls(SslBundles bundles, TlsProperties tls) {
        TlsContexts contexts = TlsContexts.server("director", material(tls.bundle(), bundles.getBundle(tls.bundle())),
                tls.clientCertificates());
        bundles.addBundleUpdateHandler(tls.bundle(), updated -> contexts.reload(material(tls.bundle(), updated)));
        return contexts;
    }

    /** Health component {@code tls}: developmentCa, the certificate in use, trusted CAs, client auth, reloads. */
    @Bean("tls")
    HealthIndicator tlsHealthIndicator(TlsContexts directorTls) {
        return () -> Health.up().withDetails(directorTls.details()).build();
    }

    @Bean
    MeterBinder directorTlsGauge(DirectorMeters meters, TlsContexts directorTls) {
        return registry -> meters.bindTlsGauge(directorTls::developmentCa);
    }

    static TlsMaterial material(String name, SslBundle bundle) {
        return TlsMaterial.of("ssl bundle " + name, bundle.getManagers().getKeyManagerFactory(),
                bundle.getStores().getKeyStore(), bundle.getStores().getTrustStore());
    }
}
