package io.connectionswap.protocol.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * The development PKI in Java, the same files {@code certs/generate.sh} writes with openssl: a CA ({@code ca.pem},
 * {@code ca.key}) and one certificate and key per role, EC P-256, PKCS#8 keys, valid for 10 years, with the same
 * subjects, key usages and subject alternative names. It needs nothing but a Java runtime, so the compose stack's
 * one-shot {@code certs} service runs it in the service image, which has no openssl:
 *
 * <pre>
 * java -cp app.jar -Dloader.main=io.connectionswap.protocol.tls.DevelopmentPki \
 *      org.springframework.boot.loader.launch.PropertiesLauncher --if-missing /certs
 * </pre>
 *
 * Tests use it for PKIs of their own (another CA, a renewed certificate). {@code DevelopmentPkiTest} checks that its
 * certificates and those of {@code generate.sh} agree.
 *
 * <p>A role knows it runs on the development CA by this CA's subject, {@link #DEVELOPMENT_CA}: both generators
 * write it, and a CA of your own has another subject.
 */
public final class DevelopmentPki {

    /** The subject of the development CA: {@code O=connection-swap, CN=connection-swap development CA}. */
    public static final X500Principal DEVELOPMENT_CA =
            new X500Principal("CN=connection-swap development CA, O=connection-swap");
    /** The roles of the system, one certificate each. */
    public static final List<String> ROLES = List.of("director", "worker", "client");
    static final Duration VALIDITY = Duration.ofDays(3650);

    private static final String NAMESPACE = "connection-swap";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final SecureRandom RANDOM = new SecureRandom();

    private DevelopmentPki() {
    }

    /** A CA: its subject, key pair and self-signed certificate. */
    public record Ca(KeyPair keys, X509Certificate certificate) {
    }

    /** A certificate issued by a {@link Ca}, with its key pair. */
    public record Issued(String role, KeyPair keys, X509Certificate certificate) {
    }

    /** True when {@code ca}'s subject is that of the development CA. */
    public static boolean isDevelopmentCa(X509Certificate ca) {
        return DEVELOPMENT_CA.equals(ca.getSubjectX500Principal());
    }

    /** A new CA with {@code subject} (the development CA: {@link #DEVELOPMENT_CA}). */
    public static Ca newCa(X500Principal subject) {
        KeyPair keys = newKeyPair();
        byte[] keyId = keyIdentifier(keys.getPublic());
        X509Certificate certificate = sign(subject, keys.getPublic(), subject, keys.getPrivate(), List.of(
                extension("2.5.29.19", true, Der.sequence(Der.bool(true))),                      // basicConstraints CA
                extension("2.5.29.15", true, Der.bitString(new byte[] {0x06}, 1)),               // keyCertSign, cRLSign
                extension("2.5.29.14", false, Der.octetString(keyId))));                          // subjectKeyIdentifier
        return new Ca(keys, certificate);
    }

    /** The CA of an existing PKI directory ({@code ca.pem}, {@code ca.key}), to issue more certificates with it. */
    public static Ca readCa(Path directory) {
        X509Certificate certificate = Pem.certificates(directory.resolve("ca.pem")).get(0);
        PrivateKey key = Pem.privateKey(directory.resolve("ca.key"), certificate.getPublicKey().getAlgorithm());
        return new Ca(new KeyPair(certificate.getPublicKey(), key), certificate);
    }

    /** A new key and certificate for {@code role} (director, worker or client), issued by {@code ca}. */
    public static Issued issue(Ca ca, String role) {
        List<String> usages = switch (role) {
            case "director", "worker" -> List.of(SERVER_AUTH, CLIENT_AUTH);
            case "client" -> List.of(CLIENT_AUTH);
            default -> throw new IllegalArgumentException("role: " + role + " (expected one of " + ROLES + ")");
        };
        KeyPair keys = newKeyPair();
        byte[][] purposes = usages.stream().map(Der::oid).toArray(byte[][]::new);
        X509Certificate certificate = sign(new X500Principal("CN=" + role + ", O=connection-swap"), keys.getPublic(),
                ca.certificate().getSubjectX500Principal(), ca.keys().getPrivate(), List.of(
                        extension("2.5.29.19", true, Der.sequence()),                          // basicConstraints: not a CA
                        extension("2.5.29.15", true, Der.bitString(new byte[] {(byte) 0xA0}, 5)), // digitalSignature, keyEncipherment
                        extension("2.5.29.37", false, Der.sequence(purposes)),                 // extendedKeyUsage
                        extension("2.5.29.17", false, subjectAlternativeNames(role)),
                        extension("2.5.29.14", false, Der.octetString(keyIdentifier(keys.getPublic()))),
                        extension("2.5.29.35", false,                                          // authorityKeyIdentifier
                                Der.sequence(Der.implicit(0, subjectKeyIdentifier(ca.certificate()))))));
        return new Issued(role, keys, certificate);
    }

    /** Writes the development PKI (a new development CA and every role) into {@code directory}. */
    public static void create(Path directory) {
        create(directory, DEVELOPMENT_CA);
    }

    /** Writes a PKI with a new CA named {@code caSubject} (tests: a CA that is not the development CA). */
    public static void create(Path directory, X500Principal caSubject) {
        Ca ca = newCa(caSubject);
        for (String role : ROLES) {
            write(directory, issue(ca, role));
        }
        writeFile(directory.resolve("ca.key"), Pem.privateKey(ca.keys().getPrivate()), "rw-------");
        writeFile(directory.resolve("ca.pem"), Pem.certificate(ca.certificate()), "rw-r--r--"); // last: the marker
    }

    /**
     * Writes {@code <role>.pem} and {@code <role>.key} into {@code directory}, each replaced in one step (a temporary
     * file moved over the old one), the key first. The key is readable by all, as generate.sh leaves it: the
     * containers run as another user than the one who created the files.
     */
    public static void write(Path directory, Issued issued) {
        writeFile(directory.resolve(issued.role() + ".key"), Pem.privateKey(issued.keys().getPrivate()), "rw-r--r--");
        writeFile(directory.resolve(issued.role() + ".pem"), Pem.certificate(issued.certificate()), "rw-r--r--");
    }

    /**
     * {@code DevelopmentPki [--if-missing] [--role-dirs] DIR}: writes the development PKI into DIR; with
     * {@code --if-missing} only when DIR has no {@code ca.pem} yet. With {@code --role-dirs} it then copies each role's
     * own files into {@code DIR/<role>/} ({@link RoleDirectories}), for containers that mount only their role's. Run as
     * root (the compose init step), it gives the files the owner of DIR.
     */
    public static void main(String[] args) {
        List<String> options = List.of(args).subList(0, Math.max(0, args.length - 1));
        boolean ifMissing = options.contains("--if-missing");
        boolean roleDirs = options.contains("--role-dirs");
        if (args.length == 0 || options.size() != (ifMissing ? 1 : 0) + (roleDirs ? 1 : 0)) {
            System.err.println("usage: DevelopmentPki [--if-missing] [--role-dirs] DIR");
            System.exit(2);
        }
        Path directory = Path.of(args[args.length - 1]).toAbsolutePath();
        if (!Files.isDirectory(directory)) {
            System.err.println("development pki: " + directory + " is not a directory");
            System.exit(1);
        }
        if (ifMissing && Files.exists(directory.resolve(CertificateDirectory.MARKER))) {
            System.out.println("development pki: " + directory.resolve(CertificateDirectory.MARKER)
                    + " exists; keeping the PKI in " + directory);
        } else {
            create(directory);
            List<Path> files = new ArrayList<>(List.of(directory.resolve("ca.pem"), directory.resolve("ca.key")));
            ROLES.forEach(role -> files.addAll(List.of(directory.resolve(role + ".pem"),
                    directory.resolve(role + ".key"))));
            giveToOwnerOf(directory, files);
            System.out.println("development pki: wrote ca.pem ca.key " + String.join(" ", ROLES.stream()
                    .map(role -> role + ".{pem,key}").toList()) + " to " + directory + " (CA \""
                    + DEVELOPMENT_CA.getName() + "\": for development only)");
        }
        if (roleDirs) {
            RoleDirectories.publish(directory).forEach(line -> System.out.println("development pki: " + line));
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /** The subject alternative names of generate.sh: loopback, the compose names, the Kubernetes names. */
    static List<String> subjectAlternativeNameList(String role) {
        List<String> names = new ArrayList<>(List.of("DNS:localhost", "IP:127.0.0.1", "IP:::1"));
        switch (role) {
            case "director" -> {
                names.add("DNS:director");
                names.addAll(kubernetesNames("director"));
                names.addAll(kubernetesNames("director-headless"));
            }
            case "worker" -> {
                names.addAll(List.of("DNS:worker-a", "DNS:worker-b"));
                names.addAll(kubernetesNames("worker"));
                names.addAll(kubernetesNames("worker-headless"));
            }
            case "client" -> {
                names.add("DNS:client");
                names.addAll(kubernetesNames("client"));
            }
            default -> throw new IllegalArgumentException("role: " + role + " (expected one of " + ROLES + ")");
        }
        return names;
    }

    private static List<String> kubernetesNames(String service) {
        return List.of("DNS:" + service, "DNS:" + service + "." + NAMESPACE, "DNS:" + service + "." + NAMESPACE + ".svc",
                "DNS:" + service + "." + NAMESPACE + ".svc.cluster.local");
    }

    private static byte[] subjectAlternativeNames(String role) {
        List<byte[]> names = new ArrayList<>();
        for (String name : new java.util.LinkedHashSet<>(subjectAlternativeNameList(role))) {
            if (name.startsWith("DNS:")) {
                names.add(Der.implicit(2, name.substring(4).getBytes(StandardCharsets.US_ASCII)));  // dNSName
            } else {
                try {
                    names.add(Der.implicit(7, InetAddress.getByName(name.substring(3)).getAddress())); // iPAddress
                } catch (UnknownHostException e) {
                    throw new IllegalStateException("not an IP literal: " + name, e);
                }
            }
        }
        return Der.sequence(names.toArray(new byte[0][]));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
                : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    private static X509Certificate sign(X500Principal subject, PublicKey subjectKey, X500Principal issuer,
                                        PrivateKey issuerKey, List<byte[]> extensions) {
        byte[] ecdsaWithSha256 = Der.sequence(Der.oid("1.2.840.10045.4.3.2"));
        Instant notBefore = Instant.now().minusSeconds(60);
        byte[] tbs = Der.sequence(
                Der.explicit(0, Der.integer(BigInteger.TWO)),                                      // version 3
                Der.integer(new BigInteger(1, randomBytes(16)).setBit(126).clearBit(127)),         // serial
                ecdsaWithSha256,
                issuer.getEncoded(),
                Der.sequence(Der.time(notBefore), Der.time(notBefore.plus(VALIDITY))),
                subject.getEncoded(),
                subjectKey.getEncoded(),                                                           // SubjectPublicKeyInfo
                Der.explicit(3, Der.sequence(extensions.toArray(new byte[0][]))));
        try {
            Signature signature = Signature.getInstance("SHA256withECDSA");
            signature.initSign(issuerKey);
            signature.update(tbs);
            byte[] certificate = Der.sequence(tbs, ecdsaWithSha256, Der.bitString(signature.sign(), 0));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(certificate));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the certificate of " + subject, e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 in this Java runtime", e);
        }
    }

    /**
     * SHA-1 of the public key's bits (RFC 5280, 4.2.1.2, method 1; what openssl writes). Java's PKIX validation finds
     * the trust anchor of a certificate by its authority key identifier, so issuer and issued must agree on it.
     */
    private static byte[] keyIdentifier(PublicKey key) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(Der.subjectPublicKeyBits(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CA's subject key identifier as its certificate states it (or as {@link #keyIdentifier} computes it). */
    private static byte[] subjectKeyIdentifier(X509Certificate ca) {
        byte[] extension = ca.getExtensionValue("2.5.29.14");   // OCTET STRING { OCTET STRING keyIdentifier }
        return extension == null ? keyIdentifier(ca.getPublicKey())
                : Der.contents(Der.contents(extension));
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    static void writeFile(Path file, String content, String permissions) {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            try {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString(permissions));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults apply
            }
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Gives {@code files} the owner of {@code directory} (they were written by root in a container). */
    static void giveToOwnerOf(Path directory, List<Path> files) {
        try {
            Object uid = Files.getAttribute(directory, "unix:uid");
            Object gid = Files.getAttribute(directory, "unix:gid");
            for (Path file : files) {
                if (!uid.equals(Files.getAttribute(file, "unix:uid"))) {
                    Files.setAttribute(file, "unix:uid", uid);
                    Files.setAttribute(file, "unix:gid", gid);
                }
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            System.err.println("development pki: cannot give the files the owner of " + directory + " ("
                    + e + "); they belong to the user who ran this");
        }
    }
}
