package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.tls.PeerNameTrustManager;
import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** Names the peer of a connection or stream for logs, and reads its certificate's CN. */
public final class Peers {

    private Peers() {
    }

    public static QuicChannel connectionOf(Channel channel) {
        if (channel instanceof QuicStreamChannel stream) {
            return stream.parent();
        }
        return channel instanceof QuicChannel quic ? quic : null;
    }

    /** {@code 127.0.0.1:51234}, the UDP address of the peer. */
    public static String address(Channel channel) {
        QuicChannel connection = connectionOf(channel);
        Object address = connection != null ? connection.remoteSocketAddress() : channel.remoteAddress();
        if (address instanceof java.net.InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** The CN of the certificate the peer presented, or {@code null} when it presented none. */
    public static String certificateName(Channel channel) {
        QuicChannel connection = connectionOf(channel);
        if (connection == null || connection.sslEngine() == null) {
            return null;
        }
        SSLSession session = connection.sslEngine().getSession();
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? PeerNameTrustManager.commonName(x509) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
