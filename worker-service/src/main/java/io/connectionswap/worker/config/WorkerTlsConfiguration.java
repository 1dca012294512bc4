package io.connectionswap.worker.config;

import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsMaterial;
import io.connectionswap.worker.metrics.WorkerMeters;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The worker's TLS from its Spring Boot SSL bundle: the QUIC context of its server, which accepts only the director's
 * certificate (CN {@code director}, mutual TLS), and of its registrations with directors, rebuilt when the bundle's
 * files change; whether it runs on the development CA (health component {@code tls}, gauge
 * {@code connection_swap_tls_development_ca}).
 */
@Configuration(proxyBeanMethods = false)
public class WorkerTlsConfiguration {

    /** The certificate CN of the only peer a worker serves. */
    static final String DIRECTOR = "director";

    @Bean
    TlsContexts workerTls(SslBundles bundles, TlsProperties tls) {
        TlsContexts contexts = TlsContexts.server("worker", material(tls.bundle(), bundles.getBundle(tls.bundle())),
                ClientCertificates.only(DIRECTOR));
        bundles.addBundleUpdateHandler(tls.bundle(), updated -> contexts.reload(material(tls.bundle(), updated)));
        return contexts;
    }

    /** Health component {@code tls}: developmentCa, the certificate in use, trusted CAs, client auth, reloads. */
    @Bean("tls")
    HealthIndicator tlsHealthIndicator(TlsContexts workerTls) {
        return () -> Health.up().withDetails(workerTls.details()).build();
    }

    @Bean
    MeterBinder workerTlsGauge(WorkerMeters meters, TlsContexts workerTls) {
        return registry -> meters.bindTlsGauge(workerTls::developmentCa);
    }

    static TlsMaterial material(String name, SslBundle bundle) {
        return TlsMaterial.of("ssl bundle " + name, bundle.getManagers().getKeyManagerFactory(),
                bundle.getStores().getKeyStore(), bundle.getStores().getTrustStore());
    }
}
