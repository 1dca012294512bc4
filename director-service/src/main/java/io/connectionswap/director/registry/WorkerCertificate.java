package io.connectionswap.director.registry;

import io.connectionswap.protocol.quic.Peers;
import io.netty.channel.Channel;

/**
 * The worker identity: a certificate of the director's CA whose subject CN is {@code worker}. Only a peer holding it
 * may register, and a worker the director dials must present it: the CA and the dialled name alone would also
 * accept any other server certificate that CA signed for that name (a CA that signs other services' certificates).
 */
public final class WorkerCertificate {

    /** The subject CN of the worker certificate. */
    public static final String NAME = "worker";

    private WorkerCertificate() {
    }

    /** Whether the peer of this connection or stream presented the worker certificate. */
    public static boolean presentedBy(Channel channel) {
        return NAME.equals(Peers.certificateName(channel));
    }

    /** What the peer presented instead, for an error message: {@code CN=director} or {@code no certificate}. */
    public static String presentedInstead(Channel channel) {
        String name = Peers.certificateName(channel);
        return name == null ? "no certificate" : "CN=" + name;
    }
}
