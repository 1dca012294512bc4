package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.connectionswap.testsupport.tls.RepositoryPki;
import io.connectionswap.testsupport.tools.ExternalTool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java development PKI writes what certs/generate.sh writes, and both are recognised as the development CA. */
class DevelopmentPkiTest {

    @Test
    void theJavaPkiAgreesWithGenerateSh(@TempDir Path openssl, @TempDir Path java) throws Exception {
        ExternalTool.OPENSSL.require(DevelopmentPkiTest.class);
        runGenerateSh(openssl);
        DevelopmentPki.create(java);

        X509Certificate opensslCa = certificate(openssl, "ca");
        X509Certificate javaCa = certificate(java, "ca");
        for (X509Certificate ca : List.of(opensslCa, javaCa)) {
            assertThat(ca.getSubjectX500Principal()).isEqualTo(DevelopmentPki.DEVELOPMENT_CA);
            assertThat(DevelopmentPki.isDevelopmentCa(ca)).isTrue();
            assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
            assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
            assertThat(ca.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        }
        for (String role : DevelopmentPki.ROLES) {
            X509Certificate fromOpenssl = certificate(openssl, role);
            X509Certificate fromJava = certificate(java, role);
            assertThat(fromJava.getSubjectX500Principal()).as(role).isEqualTo(fromOpenssl.getSubjectX500Principal())
                    .isEqualTo(new X500Principal("CN=" + role + ", O=connection-swap"));
            assertThat(names(fromJava)).as("%s subject alternative names", role).isEqualTo(names(fromOpenssl));
            assertThat(fromJava.getExtendedKeyUsage()).as("%s extended key usage", role)
                    .containsExactlyInAnyOrderElementsOf(fromOpenssl.getExtendedKeyUsage());
            assertThat(fromJava.getKeyUsage()).as("%s key usage", role).isEqualTo(fromOpenssl.getKeyUsage());
            assertThat(fromJava.getBasicConstraints()).as("%s is no CA", role).isEqualTo(-1)
                    .isEqualTo(fromOpenssl.getBasicConstraints());
            assertThat(fromJava.getCriticalExtensionOIDs()).as(role)
                    .isEqualTo(fromOpenssl.getCriticalExtensionOIDs());
            assertThat(((ECPublicKey) fromJava.getPublicKey()).getParams().getCurve())
                    .isEqualTo(((ECPublicKey) fromOpenssl.getPublicKey()).getParams().getCurve());
            assertThat(Duration.between(fromJava.getNotBefore().toInstant(), fromJava.getNotAfter().toInstant()).toDays())
                    .isCloseTo(3650, within(1L));
            assertChains(fromJava, javaCa);
            assertChains(fromOpenssl, opensslCa);
            // the PEM loader reads both; keys and certificates go together
            assertThat(TlsIdentity.of(java, role).material().developmentCa()).isTrue();
            assertThat(TlsIdentity.of(openssl, role).material().developmentCa()).isTrue();
        }
        assertThat(names(certificate(java, "director"))).contains("DNS:director", "DNS:localhost", "IP:127.0.0.1",
                "DNS:director-headless.connection-swap.svc.cluster.local");
        // key identifiers the way openssl computes them: the same for the same key
        assertThat(javaCa.getExtensionValue("2.5.29.14")).isNotNull();
        for (String role : DevelopmentPki.ROLES) {
            assertThat(certificate(java, role).getExtensionValue("2.5.29.35")).as("%s authority key id", role)
                    .isNotNull();
        }

        // a certificate issued in Java by the CA generate.sh made (a rotation of an openssl PKI) chains to it
        DevelopmentPki.Issued renewed = DevelopmentPki.issue(DevelopmentPki.readCa(openssl), "director");
        assertChains(renewed.certificate(), opensslCa);
        DevelopmentPki.write(openssl, renewed);
        assertThat(TlsIdentity.of(openssl, "director").material().certificate()).isEqualTo(renewed.certificate());
    }

    @Test
    void keyIdentifiersAreThoseOfOpenssl(@TempDir Path openssl) throws Exception {
        ExternalTool.OPENSSL.require(DevelopmentPkiTest.class);
        runGenerateSh(openssl);
        X509Certificate ca = certificate(openssl, "ca");
        // openssl's subject key identifier of the CA = SHA-1 of its key bits, as DevelopmentPki computes it
        byte[] ski = Der.contents(Der.contents(ca.getExtensionValue("2.5.29.14")));
        byte[] bits = Der.subjectPublicKeyBits(ca.getPublicKey().getEncoded());
        assertThat(java.security.MessageDigest.getInstance("SHA-1").digest(bits)).isEqualTo(ski);
    }

    @Test
    void aPkiWithAnotherCaIsNotTheDevelopmentCa(@TempDir Path own) {
        DevelopmentPki.create(own, new X500Principal("CN=Example Corp QUIC CA, O=Example Corp"));
        TlsMaterial material = TlsIdentity.of(own, "director").material();
        assertThat(material.developmentCa()).isFalse();
        assertThat(material.trustedCas().get(0).getSubjectX500Principal().getName())
                .isEqualTo("CN=Example Corp QUIC CA,O=Example Corp");
        assertThat(QuicTls.server(material, ClientCertificates.anyOfTheCa(true))).isNotNull();
    }

    @Test
    void aCertificateIssuedLaterChainsToTheSameCa(@TempDir Path pki) throws Exception {
        DevelopmentPki.create(pki);
        X509Certificate before = certificate(pki, "director");
        DevelopmentPki.Issued renewed = DevelopmentPki.issue(DevelopmentPki.readCa(pki), "director");
        DevelopmentPki.write(pki, renewed);
        X509Certificate after = certificate(pki, "director");
        assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber()).isEqualTo(renewed.certificate().getSerialNumber());
        assertChains(after, certificate(pki, "ca"));
        assertThat(TlsIdentity.of(pki, "director").material().certificate()).isEqualTo(after);
        assertThat(pki.resolve(".director.pem.tmp")).doesNotExist();
    }

    @Test
    void ifMissingKeepsAnExistingPki(@TempDir Path pki) throws Exception {
        DevelopmentPki.main(new String[] {"--if-missing", pki.toString()});
        byte[] ca = Files.readAllBytes(pki.resolve("ca.pem"));
        DevelopmentPki.main(new String[] {"--if-missing", pki.toString()});
        assertThat(Files.readAllBytes(pki.resolve("ca.pem"))).isEqualTo(ca);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve("ca.key"))))
                .as("the CA key is the owner's only").isEqualTo("rw-------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve("worker.key"))))
                .as("role keys are readable by the services' user in containers").isEqualTo("rw-r--r--");
    }

    @Test
    void generateShIfMissingKeepsTheRepositoryPki() throws Exception {
        ExternalTool.OPENSSL.require(DevelopmentPkiTest.class);
        Path certs = RepositoryPki.certs();
        byte[] ca = Files.readAllBytes(certs.resolve("ca.pem"));
        Process process = new ProcessBuilder("bash", certs.resolve("generate.sh").toString(), "--if-missing")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0).as(output).isTrue();
        assertThat(Files.readAllBytes(certs.resolve("ca.pem"))).isEqualTo(ca);
        assertThat(DevelopmentPki.isDevelopmentCa(certificate(certs, "ca"))).isTrue();
    }

    private static void runGenerateSh(Path out) throws Exception {
        Path script = RepositoryPki.repositoryRoot().resolve("certs/generate.sh");
        Process process = new ProcessBuilder("bash", script.toString(), out.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0).as(output).isTrue();
    }

    private static X509Certificate certificate(Path directory, String name) throws Exception {
        try (var in = Files.newInputStream(directory.resolve(name + ".pem"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** {@code DNS:name} and {@code IP:address} (as Java prints it), sorted. */
    private static Set<String> names(X509Certificate certificate) throws Exception {
        Set<String> names = new TreeSet<>();
        for (List<?> name : certificate.getSubjectAlternativeNames()) {
            int type = (Integer) name.get(0);
            names.add((type == 2 ? "DNS:" : type == 7 ? "IP:" : type + ":") + name.get(1));
        }
        return names;
    }

    private static void assertChains(X509Certificate leaf, X509Certificate ca) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false);
        parameters.setDate(java.util.Date.from(Instant.now()));
        CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(List.of(leaf)), parameters);
        Collection<String> usages = leaf.getExtendedKeyUsage();
        assertThat(usages).contains("1.3.6.1.5.5.7.3.2");
    }
}
