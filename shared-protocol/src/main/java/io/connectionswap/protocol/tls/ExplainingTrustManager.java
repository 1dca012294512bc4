package io.connectionswap.protocol.tls;

import io.connectionswap.protocol.log.LogLine;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delegates every check unchanged and logs why a peer's certificate was rejected. BoringSSL reports only
 * CERTIFICATE_VERIFY_FAILED to the handshake; this line keeps the real reason (untrusted issuer, wrong host name,
 * expired, wrong role) for the operator.
 */
final class ExplainingTrustManager extends X509ExtendedTrustManager {

    private static final Logger log = LoggerFactory.getLogger(ExplainingTrustManager.class);

    private final X509ExtendedTrustManager delegate;

    ExplainingTrustManager(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
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

    /** Runs {@code check}; when it rejects the peer, logs why and rethrows. */
    private static void explain(String side, X509Certificate[] chain, String expectedHost, Check check)
            throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            String subject = chain != null && chain.length > 0 ? chain[0].getSubjectX500Principal().getName() : "none";
            LogLine.warn(log).field("peer.role", side).quoted("peer.cert", subject)
                    .field("expected.name", expectedHost).quoted("problem", e.getMessage())
                    .log("rejected peer certificate");
            throw e;
        }
    }
}
