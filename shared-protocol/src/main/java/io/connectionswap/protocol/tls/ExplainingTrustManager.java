package io.connectionswap.protocol.tls;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Delegates every check unchanged and logs why a peer's certificate was rejected. BoringSSL reports only
 * CERTIFICATE_VERIFY_FAILED to the handshake; this line keeps the real reason (untrusted issuer, wrong host name,
 * expired, wrong role) for the operator.
 *
 * <p>A peer that fails the same check again and again (a client that trusts another CA redials the director every few
 * seconds; a worker with a wrong certificate registers again) is explained once at WARN; its repeats are logged at
 * DEBUG, with a WARN reminder at most every {@link RepeatedProblems#REMIND_EVERY} that says how many rejections came
 * since ({@code repeats}). A rejection is the same when the side, the peer's certificate subject, the name expected and
 * the problem are. Each TLS context has its own trust manager: a reload starts afresh.
 */
final class ExplainingTrustManager extends X509ExtendedTrustManager {

    private static final Logger log = LoggerFactory.getLogger(ExplainingTrustManager.class);

    private final X509ExtendedTrustManager delegate;
    private final RepeatedProblems rejections;

    ExplainingTrustManager(X509ExtendedTrustManager delegate) {
        this(delegate, RepeatedProblems.withDefaults());
    }

    ExplainingTrustManager(X509ExtendedTrustManager delegate, RepeatedProblems rejections) {
        this.delegate = delegate;
        this.rejections = rejections;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        explain("server", chain, peerHost(engine), () -> delegate.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        explain("client", chain, null, () -> delegate.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        explain("server", chain, null, () -> delegate.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        explain("client", chain, null, () -> delegate.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        explain("server", chain, null, () -> delegate.checkServerTrusted(chain, authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        explain("client", chain, null, () -> delegate.checkClientTrusted(chain, authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }

    /** {@code message} with the peer certificate's subject and CN taken out (they are the peer's to choose). */
    private static String withoutPeerNames(String message, X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return message;
        }
        String result = message.replace(chain[0].getSubjectX500Principal().getName(), "<subject>");
        String commonName = PeerNameTrustManager.commonName(chain[0]);
        return commonName == null || commonName.isEmpty() ? result : result.replace(commonName, "<cn>");
    }

    /** The name the client dialled (QUIC engines keep it on the handshake session). */
    private static String peerHost(SSLEngine engine) {
        if (engine == null) {
            return null;
        }
        javax.net.ssl.SSLSession handshake = engine.getHandshakeSession();
        return handshake != null && handshake.getPeerHost() != null ? handshake.getPeerHost() : engine.getPeerHost();
    }

    /** One delegated check. */
    @FunctionalInterface
    private interface Check {
        void run() throws CertificateException;
    }

    /** Runs {@code check}; when it rejects the peer, logs why (quieter when it did so already) and rethrows. */
    private void explain(String side, X509Certificate[] chain, String expectedHost, Check check)
            throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            String subject = chain != null && chain.length > 0 ? chain[0].getSubjectX500Principal().getName() : "none";
            // told apart by what the check said, not by the subject: a peer the CA did not sign chooses its subject
            // freely, and one with a new subject at each handshake would get a new WARN each time
            RepeatedProblems.Occurrence occurrence = rejections.occurred(List.of(side, String.valueOf(expectedHost),
                    withoutPeerNames(String.valueOf(e.getMessage()), chain)), Level.WARN);
            // LogLine.at does nothing below the logger's level
            LogLine line = LogLine.at(log, occurrence.level()).field("peer.role", side).quoted("peer.cert", subject)
                    .field("expected.name", expectedHost).quoted("problem", e.getMessage());
            if (occurrence.first()) {
                line.log("rejected peer certificate");
            } else {
                line.field("repeats", occurrence.repeats()).log("rejected peer certificate again");
            }
            throw e;
        }
    }
}
