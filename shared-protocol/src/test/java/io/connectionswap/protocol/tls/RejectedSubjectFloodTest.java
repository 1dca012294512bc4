package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

/**
 * {@link ExplainingTrustManager} quiets a rejection repeated by one peer. It told rejections apart by the peer's
 * certificate subject, which an untrusted peer chooses freely: with {@code CONNECTION_SWAP_CLIENT_AUTH=optional} (the
 * default) any client may present a self-signed certificate, and one with a new subject at every handshake got a new
 * WARN line {@code rejected peer certificate} each time. Now the same problem with another subject is a repeat.
 */
class RejectedSubjectFloodTest {

    @Test
    void selfSignedCertificatesWithEverNewSubjectsDoNotGetAWarningEach() {
        ExplainingTrustManager trust = new ExplainingTrustManager(new UntrustedIssuer());
        try (CapturedLogs logs = CapturedLogs.of(ExplainingTrustManager.class)) {
            for (int i = 0; i < 100; i++) {
                X509Certificate selfSigned = DevelopmentPki.newCa(new X500Principal("CN=flood-" + i)).certificate();
                assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {selfSigned}, "EC",
                        (SSLEngine) null)).isInstanceOf(CertificateException.class);
            }
            assertThat(logs.events()).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                    .as("WARN lines for 100 handshakes of an untrusted peer").hasSizeLessThanOrEqualTo(5);
        }
    }

    /** What the PKIX trust manager says of a certificate of no trusted CA. */
    private static final class UntrustedIssuer extends X509ExtendedTrustManager {
        private static void reject() throws CertificateException {
            throw new CertificateException("PKIX path building failed: unable to find valid certification path to "
                    + "requested target");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            reject();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            reject();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            reject();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            reject();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            reject();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            reject();
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
