package io.connectionswap.worker.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The worker's TLS. Its certificate, key and CA come from the Spring Boot SSL bundle {@code bundle}
 * ({@code spring.ssl.bundle.pem.worker} in worker-service.yml, reloaded when its files change).
 *
 * @param certsDir {@code CONNECTION_SWAP_CERTS_DIR}: the directory the default bundle reads ({@code worker.pem},
 *                 {@code worker.key}, {@code ca.pem}); blank: the repository's certs/
 * @param bundle   name of the SSL bundle with the worker's certificate, key and trusted CA
 */
@ConfigurationProperties("connection-swap.tls")
public record TlsProperties(String certsDir, @DefaultValue("worker") String bundle) {
}
