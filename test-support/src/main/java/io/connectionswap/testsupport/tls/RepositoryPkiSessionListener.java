package io.connectionswap.testsupport.tls;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Makes sure the repository's {@code certs/} has this clone's development PKI before the first test of a test JVM
 * (registered in {@code META-INF/services}), so tests that read {@code certs/} directly (e.g. a field
 * {@code TlsIdentity.of(CertificateDirectory.locate(null), "client")}) find it in a fresh clone. When it cannot be
 * created (no openssl) it prints why and lets the tests run: those that need it then fail naming the missing file.
 */
public final class RepositoryPkiSessionListener implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        try {
            RepositoryPki.certs();
        } catch (RuntimeException e) {
            System.err.println("[RepositoryPki] no development PKI for the tests: " + e.getMessage());
        }
    }
}
