package io.connectionswap.protocol.tls;

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
        try {
            delegate.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw explained("server", chain, engine == null ? null : engine.getPeerHost(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw explained("client", chain, null, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            delegate.checkServerTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw explained("server", chain, null, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw explained("client", chain, null, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate.checkServerTrusted(chain, authType);
        } catch (CertificateException e) {
            throw explained("server", chain, null, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw explained("client", chain, null, e);
        }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }

    private static CertificateException explained(String side, X509Certificate[] chain, String expectedHost,
                                                  CertificateException e) {
        String subject = chain != null && chain.length > 0 ? chain[0].getSubjectX500Principal().getName() : "none";
        log.warn("peer.role={} peer.cert=\"{}\" expected.name={} problem=\"{}\" rejected peer certificate", side, subject,
                expectedHost, e.getMessage());
        return e;
    }
}
