package io.connectionswap.director.config;

import io.connectionswap.protocol.tls.ClientCertificates;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The director's TLS. Its certificate, key and CA come from the Spring Boot SSL bundle {@code bundle}
 * ({@code spring.ssl.bundle.pem.director} in director-service.yml, reloaded when its files change).
 *
 * @param certsDir   {@code CONNECTION_SWAP_CERTS_DIR}: the directory the default bundle reads
 *                   ({@code director.pem}, {@code director.key}, {@code ca.pem}); blank: the repository's certs/
 * @param bundle     name of the SSL bundle with the director's certificate, key and trusted CA
 * @param clientAuth {@code CONNECTION_SWAP_CLIENT_AUTH}: {@code optional} (clients may present a certificate of
 *                   the CA) or {@code required} (a client without a valid certificate is refused in the handshake)
 */
@ConfigurationProperties("connection-swap.tls")
public record TlsProperties(String certsDir, @DefaultValue("director") String bundle,
                            @DefaultValue("optional") String clientAuth) {

    public TlsProperties {
        ClientCertificates.requiredBySetting(clientAuth); // a clear error at start for anything else
    }

    /** What the director asks of its clients' certificates. */
    public ClientCertificates clientCertificates() {
        return ClientCertificates.anyOfTheCa(ClientCertificates.requiredBySetting(clientAuth));
    }
}
