package io.connectionswap.protocol.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;

/**
 * What one role needs for TLS, whatever it was read from (a Spring Boot SSL bundle, the PEM files of a
 * {@link TlsIdentity}): its key and certificate chain as a {@link KeyManagerFactory}, and the CA certificates every
 * peer's certificate must chain to.
 *
 * @param source           where it was read from, for logs and errors (e.g. {@code ssl bundle director})
 * @param keyManagers      the role's key and certificate; null for a client that presents no certificate
 * @param certificateChain the role's certificate first; empty when {@code keyManagers} is null
 * @param trustedCas       the CA certificates trusted for peers; at least one
 */
public record TlsMaterial(String source, KeyManagerFactory keyManagers, List<X509Certificate> certificateChain,
                          List<X509Certificate> trustedCas) {

    public TlsMaterial {
        Objects.requireNonNull(source, "source");
        certificateChain = List.copyOf(certificateChain);
        trustedCas = List.copyOf(trustedCas);
        if (trustedCas.isEmpty()) {
            throw new TlsConfigurationException(source + ": no CA certificate to trust (expected: at least one)");
        }
        if (keyManagers != null && certificateChain.isEmpty()) {
            throw new TlsConfigurationException(source + ": a key but no certificate");
        }
    }

    /**
     * From key and trust stores (e.g. those of a Spring Boot SSL bundle): the certificate chain is that of the key
     * store's first key entry, the trusted CAs are every certificate entry of the trust store.
     */
    public static TlsMaterial of(String source, KeyManagerFactory keyManagers, KeyStore keyStore, KeyStore trustStore) {
        if (keyStore == null) {
            throw new TlsConfigurationException(source + ": no key store (the role's certificate and key)");
        }
        if (trustStore == null) {
            throw new TlsConfigurationException(source + ": no trust store (the CA certificate)");
        }
        try {
            return new TlsMaterial(source, keyManagers, chainOf(source, keyStore), certificatesOf(trustStore));
        } catch (GeneralSecurityException e) {
            throw new TlsConfigurationException(source + ": cannot read its stores: " + e.getMessage(), e);
        }
    }

    /** From a key, its certificate chain and the trusted CAs (read from PEM files by {@link TlsIdentity}). */
    public static TlsMaterial of(String source, PrivateKey key, List<X509Certificate> chain, List<X509Certificate> cas) {
        requireMatching(source, key, chain.get(0));
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = new char[0];
            store.setKeyEntry("key", key, password, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            return new TlsMaterial(source, factory, chain, cas);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsConfigurationException(source + ": key and certificate do not go together: " + e.getMessage(), e);
        }
    }

    /** Trust only: a client that presents no certificate (refused by a director with client auth required). */
    public static TlsMaterial trustOnly(String source, List<X509Certificate> cas) {
        return new TlsMaterial(source, null, List.of(), cas);
    }

    /** The role's own certificate, or null when it has none. */
    public X509Certificate certificate() {
        return certificateChain.isEmpty() ? null : certificateChain.get(0);
    }

    /** True when a trusted CA is the development CA of {@code certs/generate.sh} (see {@link DevelopmentPki}). */
    public boolean developmentCa() {
        return trustedCas.stream().anyMatch(DevelopmentPki::isDevelopmentCa);
    }

    /** Signs with {@code key} and verifies with the certificate's public key: a key of another certificate fails. */
    private static void requireMatching(String source, PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        try {
            byte[] probe = "connection-swap key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new TlsConfigurationException(source + ": the private key is not the key of the certificate "
                        + certificate.getSubjectX500Principal().getName());
            }
        } catch (GeneralSecurityException e) {
            throw new TlsConfigurationException(source + ": cannot check the private key against the certificate: "
                    + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> chainOf(String source, KeyStore store) throws GeneralSecurityException {
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                Certificate[] chain = store.getCertificateChain(alias);
                if (chain == null || chain.length == 0) {
                    throw new TlsConfigurationException(source + ": key entry '" + alias + "' has no certificate");
                }
                return Arrays.stream(chain).map(X509Certificate.class::cast).toList();
            }
        }
        throw new TlsConfigurationException(source + ": no key in the key store");
    }

    private static List<X509Certificate> certificatesOf(KeyStore store) throws GeneralSecurityException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (String alias : Collections.list(store.aliases())) {
            if (store.isCertificateEntry(alias) && store.getCertificate(alias) instanceof X509Certificate x509) {
                certificates.add(x509);
            }
        }
        return certificates;
    }
}
