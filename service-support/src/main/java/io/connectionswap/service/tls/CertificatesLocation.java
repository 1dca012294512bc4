package io.connectionswap.service.tls;

import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;

/**
 * Supplies {@code connection-swap.tls.certs-location}, the directory a role's SSL bundle reads (see
 * its {@code <role>-service.yml}), for the director, the worker and the client alike: {@code CONNECTION_SWAP_CERTS_DIR}, or else the repository's {@code certs/} found from the
 * working directory or the jar. Resolved on first use, when the bundle is bound; the role's files are checked then,
 * so a missing one is named ({@code cannot read .../<role>.pem: no such file ...}). A bundle configured without
 * this property never asks.
 */
public final class CertificatesLocation extends PropertySource<String> {

    static final String PROPERTY = "connection-swap.tls.certs-location";
    /** Where the unused PEM bundle of a role that reads another bundle points: nowhere. */
    private static final String UNUSED = "/nonexistent/connection-swap-certs";

    private final ConfigurableEnvironment environment;
    private volatile String location;

    private CertificatesLocation(ConfigurableEnvironment environment, String role) {
        super("connection-swap-certificates", role);
        this.environment = environment;
    }

    /** Adds the property to the application's environment, for {@code role}'s files. */
    public static ApplicationContextInitializer<ConfigurableApplicationContext> forRole(String role) {
        return context -> context.getEnvironment().getPropertySources()
                .addLast(new CertificatesLocation(context.getEnvironment(), role));
    }

    /** Whether the role reads its identity from a bundle of another name than its own PEM one. */
    private boolean usesAnotherBundle() {
        String role = getSource();
        String bundle = environment.getProperty("client".equals(role) ? "connection-swap.client.ssl-bundle"
                : "connection-swap.tls.bundle");
        return bundle != null && !bundle.isBlank() && !bundle.equals(role);
    }

    @Override
    public Object getProperty(String name) {
        if (!PROPERTY.equals(name)) {
            return null;
        }
        String resolved = location;
        if (resolved == null) {
            String certsDir = environment.getProperty("connection-swap.tls.certs-dir");
            if (usesAnotherBundle()) {
                // the role's PEM bundle is declared but unused (a key store of the operator's): nothing to check
                resolved = certsDir == null || certsDir.isBlank() ? UNUSED : certsDir;
            } else {
                var directory = CertificateDirectory.locate(certsDir);
                resolved = TlsIdentity.files(directory, getSource()).certificate().getParent().toString();
            }
            location = resolved;
        }
        return resolved;
    }
}
