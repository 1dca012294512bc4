package io.connectionswap.protocol.tls;

import io.connectionswap.protocol.frame.Frames;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.ClientAuth;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Builds the TLS 1.3 contexts of QUIC endpoints from a {@link TlsIdentity}: trust only the project CA, speak only
 * our ALPN, verify host names (clients create engines with the peer's host and port).
 */
public final class QuicTls {

    private QuicTls() {
    }

    /**
     * A server context.
     *
     * @param allowedClients when non-empty, clients must present a certificate whose CN is one of these (mutual TLS);
     *                       when empty, client certificates are optional and not restricted
     */
    public static QuicSslContext server(TlsIdentity identity, Set<String> allowedClients) {
        X509ExtendedTrustManager caTrust = caTrustManager(identity);
        TrustManager trust = new ExplainingTrustManager(
                allowedClients.isEmpty() ? caTrust : new PeerNameTrustManager(caTrust, allowedClients));
        try {
            return QuicSslContextBuilder.forServer(identity.privateKey().toFile(), null, identity.certificate().toFile())
                    .trustManager(trust)
                    .clientAuth(allowedClients.isEmpty() ? ClientAuth.OPTIONAL : ClientAuth.REQUIRE)
                    .applicationProtocols(Frames.ALPN)
                    .build();
        } catch (RuntimeException e) {
            throw new TlsConfigurationException("cannot build the TLS context of " + identity.role() + " from "
                    + identity.certificate() + " and " + identity.privateKey() + ": " + e.getMessage(), e);
        }
    }

    /** A client context that presents {@code identity}'s certificate and verifies the server's host name. */
    public static QuicSslContext client(TlsIdentity identity) {
        return client(identity, Frames.ALPN);
    }

    /** Like {@link #client(TlsIdentity)} with another ALPN: only tests use this, to prove a wrong ALPN is refused. */
    public static QuicSslContext client(TlsIdentity identity, String applicationProtocol) {
        try {
            return QuicSslContextBuilder.forClient()
                    .trustManager(new ExplainingTrustManager(caTrustManager(identity)))
                    .keyManager(identity.privateKey().toFile(), null, identity.certificate().toFile())
                    .applicationProtocols(applicationProtocol)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (RuntimeException e) {
            throw new TlsConfigurationException("cannot build the TLS context of " + identity.role() + " from "
                    + identity.certificate() + " and " + identity.privateKey() + ": " + e.getMessage(), e);
        }
    }

    private static X509ExtendedTrustManager caTrustManager(TlsIdentity identity) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            X509Certificate[] cas = identity.caCertificates();
            for (int i = 0; i < cas.length; i++) {
                store.setCertificateEntry("ca-" + i, cas[i]);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager extended) {
                    return extended;
                }
            }
            throw new TlsConfigurationException("no X509ExtendedTrustManager available for " + identity.trustedCa());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsConfigurationException("cannot load trusted CA " + identity.trustedCa() + ": " + e.getMessage(), e);
        }
    }
}
