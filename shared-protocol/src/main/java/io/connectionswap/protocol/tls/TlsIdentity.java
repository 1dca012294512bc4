package io.connectionswap.protocol.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The PEM files of one role in a certificate directory: {@code <role>.pem}, {@code <role>.key} (unencrypted PKCS#8)
 * and the CA {@code ca.pem}. {@link #of} checks that they exist and can be read and used, with an error that names
 * the file; {@link #material()} reads them (the Spring-free client library, the bench and tests; the services read
 * the same files through Spring Boot SSL bundles).
 */
public record TlsIdentity(String role, Path certificate, Path privateKey, Path trustedCa) {

    /** The files of {@code role} in {@code certificateDirectory}, checked and read once. */
    public static TlsIdentity of(Path certificateDirectory, String role) {
        TlsIdentity identity = files(certificateDirectory, role);
        identity.material();
        return identity;
    }

    /**
     * The files of {@code role} in {@code certificateDirectory}, checked to exist and be readable but not parsed (the
     * services check this much before Spring Boot reads them, so a missing file is named clearly).
     */
    public static TlsIdentity files(Path certificateDirectory, String role) {
        TlsIdentity identity = new TlsIdentity(role, certificateDirectory.resolve(role + ".pem"),
                certificateDirectory.resolve(role + ".key"), certificateDirectory.resolve(CertificateDirectory.MARKER));
        for (Path file : new Path[] {identity.certificate, identity.privateKey, identity.trustedCa}) {
            if (!Files.isRegularFile(file)) {
                throw new TlsConfigurationException("cannot read " + file + ": no such file (role " + role
                        + "; create a development PKI with certs/generate.sh, or give a directory that holds these files)");
            }
            if (!Files.isReadable(file)) {
                throw new TlsConfigurationException("cannot read " + file + ": permission denied (role " + role + ")");
            }
        }
        return identity;
    }

    /** Reads the three files: this role's key and certificate chain, and the CA certificates it trusts. */
    public TlsMaterial material() {
        List<X509Certificate> chain = Pem.certificates(certificate);
        PrivateKey key = Pem.privateKey(privateKey, chain.get(0).getPublicKey().getAlgorithm());
        return TlsMaterial.of(certificate.getParent() + " (role " + role + ")", key, chain, caCertificates());
    }

    /** The CA certificates that every peer's certificate must chain to. */
    public List<X509Certificate> caCertificates() {
        return Pem.certificates(trustedCa);
    }
}
