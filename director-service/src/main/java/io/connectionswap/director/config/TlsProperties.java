package io.connectionswap.director.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code CONNECTION_SWAP_CERTS_DIR}: where the PEM files are; blank means the repository's certs/. */
@ConfigurationProperties("connection-swap.tls")
public record TlsProperties(String certsDir) {
}
