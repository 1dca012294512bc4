package io.connectionswap.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * Reads and writes the PEM files of this project: X.509 certificates and unencrypted PKCS#8 private keys. The one
 * PEM loader of the code base: the services read their PEM files through Spring Boot's SSL bundles, the Spring-free
 * client library, the bench and the tests through this class ({@link TlsIdentity}), the development PKI generator
 * writes with it.
 */
final class Pem {

    /** The PKCS#8 label: the markers only (this class holds no key; keys are made per install, see DevelopmentPki). */
    private static final String KEY_LABEL = "PRIVATE KEY";
    private static final String KEY_BEGIN = "-----BEGIN " + KEY_LABEL + "-----";
    private static final String KEY_END = "-----END " + KEY_LABEL + "-----";

    private Pem() {
    }

    /** Every certificate in {@code file}, in order; at least one. */
    static List<X509Certificate> certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .stream().map(X509Certificate.class::cast).toList();
            if (certificates.isEmpty()) {
                throw new TlsConfigurationException("cannot use " + file + ": no certificate in it");
            }
            return certificates;
        } catch (IOException | CertificateException e) {
            throw new TlsConfigurationException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The unencrypted PKCS#8 key in {@code file}.
     *
     * @param algorithm the key's algorithm (that of the certificate's public key: {@code EC}, {@code RSA}, ...)
     */
    static PrivateKey privateKey(Path file, String algorithm) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new TlsConfigurationException("cannot read " + file + ": " + e.getMessage(), e);
        }
        int begin = text.indexOf(KEY_BEGIN);
        int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            throw new TlsConfigurationException("cannot use " + file
                    + ": expected an unencrypted PKCS#8 PEM key (" + KEY_BEGIN + ")");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new TlsConfigurationException("cannot use " + file + ": not a valid " + algorithm
                    + " PKCS#8 key (" + e.getMessage() + ")", e);
        }
    }

    /** {@code -----BEGIN <type>-----}, the Base64 of {@code der} in lines of 64, {@code -----END <type>-----}. */
    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static String certificate(X509Certificate certificate) {
        try {
            return encode("CERTIFICATE", certificate.getEncoded());
        } catch (CertificateException e) {
            throw new IllegalStateException("cannot encode " + certificate.getSubjectX500Principal(), e);
        }
    }

    static String privateKey(PrivateKey key) {
        return encode(KEY_LABEL, key.getEncoded());
    }
}
