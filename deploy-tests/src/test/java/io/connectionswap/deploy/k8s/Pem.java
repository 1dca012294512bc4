package io.connectionswap.deploy.k8s;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** PEM files as the services read them: X.509 certificates and PKCS#8 EC private keys. */
final class Pem {

    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END PRIVATE KEY-----");

    private Pem() {
    }

    static X509Certificate certificate(Path file) throws IOException, GeneralSecurityException {
        return certificate(Files.readAllBytes(file));
    }

    static X509Certificate certificate(byte[] pem) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem));
    }

    /** A PKCS#8 ("BEGIN PRIVATE KEY") EC key; anything else (SEC1 "BEGIN EC PRIVATE KEY", RSA) fails. */
    static PrivateKey ecPrivateKey(byte[] pem) throws GeneralSecurityException {
        Matcher m = PKCS8.matcher(new String(pem, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw new GeneralSecurityException("not a PKCS#8 PEM private key (expected -----BEGIN PRIVATE KEY-----)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** Whether the key signs what the certificate's public key verifies: the two belong together. */
    static boolean belongTogether(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
        byte[] data = "connection-swap".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(key);
        signer.update(data);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(data);
        return verifier.verify(signature);
    }

    static Set<String> dnsNames(X509Certificate certificate) throws GeneralSecurityException {
        Set<String> names = new HashSet<>();
        if (certificate.getSubjectAlternativeNames() != null) {
            for (List<?> san : certificate.getSubjectAlternativeNames()) {
                if (Integer.valueOf(2).equals(san.get(0))) {
                    names.add((String) san.get(1));
                }
            }
        }
        return names;
    }

    static String commonName(X509Certificate certificate) throws InvalidNameException {
        for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
            if (rdn.getType().equalsIgnoreCase("CN")) {
                return rdn.getValue().toString();
            }
        }
        return null;
    }
}
