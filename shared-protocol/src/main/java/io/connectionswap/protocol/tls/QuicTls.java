package io.connectionswap.protocol.tls;

import io.connectionswap.protocol.frame.Frames;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.ClientAuth;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Builds the TLS 1.3 contexts of QUIC endpoints from a {@link TlsMaterial}: trust only its CAs, speak only our ALPN,
 * verify host names (clients create engines with the peer's host and port), and on a server check client
 * certificates as {@link ClientCertificates} says.
 */
public final class QuicTls {

    private QuicTls() {
    }

    /** A server context presenting the material's certificate. */
    public static QuicSslContext server(TlsMaterial material, ClientCertificates clients) {
        if (material.keyManagers() == null) {
            throw new TlsConfigurationException(material.source() + ": a server needs a certificate and its key");
        }
        X509ExtendedTrustManager caTrust = caTrustManager(material);
        TrustManager trust = new ExplainingTrustManager(
                clients.allowedNames().isEmpty() ? caTrust : new PeerNameTrustManager(caTrust, clients.allowedNames()));
        try {
            return QuicSslContextBuilder.forServer(material.keyManagers(), null)
                    .trustManager(trust)
                    .clientAuth(clients.required() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
                    .applicationProtocols(Frames.ALPN)
                    .build();
        } catch (RuntimeException e) {
            throw new TlsConfigurationException("cannot build the TLS context from " + material.source() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * A server context from PEM files.
     *
     * @param allowedClients when non-empty, clients must present a certificate whose CN is one of these (mutual TLS);
     *                       when empty, client certificates are optional and not restricted
     */
    public static QuicSslContext server(TlsIdentity identity, Set<String> allowedClients) {
        return server(identity.material(), allowedClients.isEmpty() ? ClientCertificates.anyOfTheCa(false)
                : new ClientCertificates(true, allowedClients));
    }

    /**
     * A client context that presents the material's certificate (when it has one) and verifies the server's host
     * name.
     */
    public static QuicSslContext client(TlsMaterial material) {
        return client(material, Frames.ALPN);
    }

    /** Like {@link #client(TlsMaterial)} with another ALPN: only tests use this, to prove a wrong ALPN is refused. */
    public static QuicSslContext client(TlsMaterial material, String applicationProtocol) {
        try {
            return QuicSslContextBuilder.forClient()
                    .trustManager(new ExplainingTrustManager(caTrustManager(material)))
                    .keyManager(material.keyManagers(), null)
                    .applicationProtocols(applicationProtocol)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (RuntimeException e) {
            throw new TlsConfigurationException("cannot build the TLS context from " + material.source() + ": "
                    + e.getMessage(), e);
        }
    }

    /** A client context from PEM files. */
    public static QuicSslContext client(TlsIdentity identity) {
        return client(identity.material());
    }

    /** Like {@link #client(TlsIdentity)} with another ALPN: only tests use this. */
    public static QuicSslContext client(TlsIdentity identity, String applicationProtocol) {
        return client(identity.material(), applicationProtocol);
    }

    private static X509ExtendedTrustManager caTrustManager(TlsMaterial material) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            List<java.security.cert.X509Certificate> cas = material.trustedCas();
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager extended) {
                    return extended;
                }
            }
            throw new TlsConfigurationException("no X509ExtendedTrustManager available for " + material.source());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsConfigurationException("cannot load the trusted CAs of " + material.source() + ": "
                    + e.getMessage(), e);
        }
    }
}
