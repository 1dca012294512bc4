package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.quic.QuicSslContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README "Certificates", rotation: "files that cannot be used ... are refused with a WARN and the current certificate
 * stays". A certificate that expired cannot be used: every peer refuses it. {@link TlsContexts#reload} checked only
 * that contexts could be built, so an expired certificate replacing a valid one (an old file restored, a renewal job
 * writing the wrong file) was taken, and every new connection failed its handshake.
 */
class ExpiredCertificateReloadTest {

    @Test
    void anExpiredCertificateIsRefusedAndTheCurrentOneStays(@TempDir Path pki, @TempDir Path old) throws Exception {
        DevelopmentPki.create(pki);
        TlsIdentity identity = TlsIdentity.of(pki, "director");
        TlsContexts tls = TlsContexts.server("director", identity.material(), ClientCertificates.anyOfTheCa(false));
        QuicSslContext before = tls.serverContext().get();

        TlsMaterial expired = expiredSelfSigned(old);
        assertThat(expired.certificate().getNotAfter()).isBefore(new Date());

        assertThat(tls.reload(expired)).as("an expired certificate is taken for new connections").isFalse();
        assertThat(tls.serverContext().get()).isSameAs(before);
    }

    /** A self-signed EC certificate valid for 30 days two years ago, from the JDK's keytool. */
    private static TlsMaterial expiredSelfSigned(Path dir) throws Exception {
        Path store = dir.resolve("expired.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "director", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=director, O=connection-swap", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-startdate", "-2y", "-validity", "30", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit").redirectErrorStream(true).start();
        keytool.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) keys.getKey("director", "changeit".toCharArray());
        X509Certificate certificate = (X509Certificate) keys.getCertificate("director");
        return TlsMaterial.of("expired", key, List.of(certificate), List.of(certificate));
    }
}
