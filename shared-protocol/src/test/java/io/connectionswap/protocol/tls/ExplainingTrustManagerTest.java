package io.connectionswap.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.testsupport.log.CapturedLogs;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer rejected at every attempt (a client that trusts another CA redials forever) is explained once at WARN, not
 * once per handshake: the repeats at DEBUG, a WARN reminder with their count at most every interval.
 */
class ExplainingTrustManagerTest {

    private final CapturedLogs logs = CapturedLogs.of(ExplainingTrustManager.class);
    private final AtomicLong now = new AtomicLong();
    private final ExplainingTrustManager trust = new ExplainingTrustManager(new Rejecting(),
            new RepeatedProblems(Duration.ofMinutes(5), 16, now::get));

    @AfterEach
    void stopListening() {
        logs.close();
    }

    @Test
    void aRejectionRepeatedAtEveryReconnectIsOneWarningThenAReminderWithTheCountEveryFewMinutes() {
        logs.logger().setLevel(Level.DEBUG);
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> trust.checkServerTrusted(null, "RSA", (SSLEngine) null))
                    .isInstanceOf(CertificateException.class);
            now.addAndGet(Duration.ofSeconds(5).toNanos());
        }
        assertThat(warnings()).singleElement().extracting(ILoggingEvent::getFormattedMessage).asString()
                .isEqualTo("peer.role=server peer.cert=\"none\" expected.name=null problem=\"not signed by a trusted CA\" "
                        + "rejected peer certificate");
        assertThat(logs.events()).filteredOn(event -> event.getLevel() == Level.DEBUG).hasSize(9)
                .last().extracting(ILoggingEvent::getFormattedMessage).asString()
                .endsWith("repeats=9 rejected peer certificate again");

        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThatThrownBy(() -> trust.checkServerTrusted(null, "RSA", (SSLEngine) null));
        assertThat(warnings()).hasSize(2).last().extracting(ILoggingEvent::getFormattedMessage).asString()
                .endsWith("repeats=10 rejected peer certificate again");
    }

    @Test
    void anotherPeerRoleIsAnotherProblemExplainedAtOnce() {
        assertThatThrownBy(() -> trust.checkServerTrusted(null, "RSA", (SSLEngine) null));
        assertThatThrownBy(() -> trust.checkClientTrusted(null, "RSA", (SSLEngine) null));
        assertThatThrownBy(() -> trust.checkClientTrusted(null, "RSA", (SSLEngine) null));
        assertThat(warnings()).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("peer.role=server peer.cert=\"none\" expected.name=null problem=\"not signed by a "
                                + "trusted CA\" rejected peer certificate",
                        "peer.role=client peer.cert=\"none\" expected.name=null problem=\"not signed by a trusted CA\" "
                                + "rejected peer certificate");
    }

    /**
     * A peer the CA did not sign chooses its subject freely: with {@code CONNECTION_SWAP_CLIENT_AUTH=optional} (the
     * default) any client may present a self-signed certificate. Rejections were told apart by that subject, so one
     * with a new subject at every handshake got a new WARN each time; the same problem with another subject is a
     * repeat.
     */
    @Test
    void selfSignedCertificatesWithEverNewSubjectsDoNotGetAWarningEach() {
        for (int i = 0; i < 100; i++) {
            X509Certificate selfSigned = DevelopmentPki.newCa(new X500Principal("CN=flood-" + i)).certificate();
            assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {selfSigned}, "EC",
                    (SSLEngine) null)).isInstanceOf(CertificateException.class);
        }
        assertThat(warnings()).as("WARN lines for 100 handshakes of an untrusted peer").hasSize(1);
    }

    private java.util.List<ILoggingEvent> warnings() {
        return logs.events().stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN)).toList();
    }

    /** A delegate that rejects every peer. */
    private static final class Rejecting extends X509ExtendedTrustManager {
        private static void reject() throws CertificateException {
            throw new CertificateException("not signed by a trusted CA");
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
