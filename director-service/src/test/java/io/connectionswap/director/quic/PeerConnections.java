package io.connectionswap.director.quic;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.DefaultAttributeMap;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/** QUIC connections of peers, as far as the director's stream handlers look at them: the peer's address and certificate. */
final class PeerConnections {

    private PeerConnections() {
    }

    /** A connection whose peer presented a certificate with {@code commonName} (none when null). */
    static QuicChannel connection(String commonName) {
        QuicChannel connection = mock(QuicChannel.class, withSettings().stubOnly());
        DefaultAttributeMap attributes = new DefaultAttributeMap();
        when(connection.isActive()).thenReturn(true);
        when(connection.remoteSocketAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 50_000));
        doAnswer(invocation -> attributes.attr(invocation.getArgument(0))).when(connection).attr(any());
        if (commonName != null) {
            X509Certificate certificate = mock(X509Certificate.class, withSettings().stubOnly());
            when(certificate.getSubjectX500Principal()).thenReturn(new X500Principal("CN=" + commonName));
            SSLSession session = mock(SSLSession.class, withSettings().stubOnly());
            try {
                when(session.getPeerCertificates()).thenReturn(new Certificate[] {certificate});
            } catch (SSLPeerUnverifiedException e) {
                throw new IllegalStateException(e);
            }
            SSLEngine engine = mock(SSLEngine.class, withSettings().stubOnly());
            when(engine.getSession()).thenReturn(session);
            when(connection.sslEngine()).thenReturn(engine);
        }
        return connection;
    }
}
