package io.connectionswap.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * The PEM files of one role in a certificate directory: {@code <role>.pem}, {@code <role>.key} (PKCS#8) and the
 * CA {@code ca.pem}. Files are checked when the identity is created, with an error that names the file.
 */
public record TlsIdentity(String role, Path certificate, Path privateKey, Path trustedCa) {

    public static TlsIdentity of(Path certificateDirectory, String role) {
        TlsIdentity identity = new TlsIdentity(role, certificateDirectory.resolve(role + ".pem"),
                certificateDirectory.resolve(role + ".key"), certificateDirectory.resolve(CertificateDirectory.MARKER));
        identity.check();
        return identity;
    }

    private void check() {
        for (Path file : new Path[] {certificate, privateKey, trustedCa}) {
            if (!Files.isRegularFile(file)) {
                throw new TlsConfigurationException("cannot read " + file + ": no such file (role " + role
                        + "; regenerate with certs/generate.sh or set CONNECTION_SWAP_CERTS_DIR)");
            }
            if (!Files.isReadable(file)) {
                throw new TlsConfigurationException("cannot read " + file + ": permission denied (role " + role + ")");
            }
        }
        caCertificates();
        try {
            String key = Files.readString(privateKey);
            if (!key.contains("-----BEGIN PRIVATE KEY-----")) {
                throw new TlsConfigurationException("cannot use " + privateKey
                        + ": expected an unencrypted PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----)");
            }
        } catch (IOException e) {
            throw new TlsConfigurationException("cannot read " + privateKey + ": " + e.getMessage(), e);
        }
    }

    /** The CA certificates that every peer's certificate must chain to. */
    public X509Certificate[] caCertificates() {
        try (InputStream in = Files.newInputStream(trustedCa)) {
            Collection<? extends java.security.cert.Certificate> certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new TlsConfigurationException("cannot use " + trustedCa + ": no certificate in it");
            }
            return certificates.toArray(new X509Certificate[0]);
        } catch (IOException | CertificateException e) {
            throw new TlsConfigurationException("cannot read " + trustedCa + ": " + e.getMessage(), e);
        }
    }
}
