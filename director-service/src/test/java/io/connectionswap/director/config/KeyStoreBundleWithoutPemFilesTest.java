package io.connectionswap.director.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.service.tls.CertificatesLocation;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * README "Certificates": "To read your PKI from elsewhere (another file layout, a JKS or PKCS#12 key store), set the
 * bundle's own properties", and {@code connection-swap.tls.bundle} names the bundle the director uses. But
 * director-service.yml always declares the PEM bundle {@code director} with
 * {@code file:${connection-swap.tls.certs-location}/director.pem}, and {@link CertificatesLocation} failed as soon as
 * that placeholder was resolved in a directory without {@code director.pem}: a director given a PKCS#12 bundle and no
 * PEM files did not start. When the role uses another bundle, the location is no longer checked.
 */
class KeyStoreBundleWithoutPemFilesTest {

    @Test
    void aDirectorWithAPkcs12BundleStartsWithoutThePemFiles(@TempDir Path vault, @TempDir Path emptyCertsDir)
            throws Exception {
        DevelopmentPki.Ca ca = DevelopmentPki.newCa(new X500Principal("CN=own CA, O=example"));
        DevelopmentPki.Issued director = DevelopmentPki.issue(ca, "director");
        char[] password = "changeit".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("director", director.keys().getPrivate(), password,
                new X509Certificate[] {director.certificate(), ca.certificate()});
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        Path keyStore = vault.resolve("director.p12");
        Path trustStore = vault.resolve("ca.p12");
        try (OutputStream out = Files.newOutputStream(keyStore)) {
            keys.store(out, password);
        }
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trust.store(out, password);
        }

        new ApplicationContextRunner()
                .withInitializer(CertificatesLocation.forRole("director"))
                .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class))
                .withPropertyValues(
                        // what director-service.yml declares for every director
                        "spring.ssl.bundle.pem.director.keystore.certificate=file:${connection-swap.tls.certs-location}/director.pem",
                        "spring.ssl.bundle.pem.director.keystore.private-key=file:${connection-swap.tls.certs-location}/director.key",
                        "spring.ssl.bundle.pem.director.truststore.certificate=file:${connection-swap.tls.certs-location}/ca.pem",
                        "connection-swap.tls.certs-dir=" + emptyCertsDir,
                        // the operator's own PKI, in PKCS#12
                        "connection-swap.tls.bundle=own",
                        "spring.ssl.bundle.jks.own.keystore.location=file:" + keyStore,
                        "spring.ssl.bundle.jks.own.keystore.password=changeit",
                        "spring.ssl.bundle.jks.own.keystore.type=PKCS12",
                        "spring.ssl.bundle.jks.own.truststore.location=file:" + trustStore,
                        "spring.ssl.bundle.jks.own.truststore.password=changeit",
                        "spring.ssl.bundle.jks.own.truststore.type=PKCS12")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(SslBundles.class).getBundle("own").getStores().getKeyStore()
                            .isKeyEntry("director")).isTrue();
                });
    }
}
