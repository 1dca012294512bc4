package io.connectionswap.service.config;

import io.connectionswap.protocol.tls.TlsConfigurationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns certificates that cannot be found or read (a wrong directory, a missing file, a key that does not match)
 * into Boot's "APPLICATION FAILED TO START" report instead of a bean-creation stack trace: the problem as
 * {@link TlsConfigurationException} says it (naming the setting), and where the files come from. Registered in
 * {@code META-INF/spring.factories}, so every role and every application of the client starter gets it.
 */
public final class TlsConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<TlsConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, TlsConfigurationException cause) {
        return new FailureAnalysis(cause.getMessage() + ".",
                "Point the setting named above at a directory with ca.pem and the role's <role>.pem and <role>.key "
                        + "(CONNECTION_SWAP_CERTS_DIR for the services, connection-swap.client.certs-dir for an "
                        + "application of the client starter), or give an SSL bundle; certs/generate.sh creates a "
                        + "development PKI.", cause);
    }
}
