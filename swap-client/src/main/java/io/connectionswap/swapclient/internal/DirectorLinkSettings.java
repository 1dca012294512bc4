package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicSettings;
import java.time.Duration;
import java.util.List;

/**
 * What {@link DirectorLink} needs to know; see {@code SwapClient.Builder}.
 *
 * @param tokenStream every leg asks for the client token stream ({@link TokenStreamDemux}); false: none does
 */
public record DirectorLinkSettings(List<HostPort> directors, String directorTlsName, QuicSettings quic,
                                   Duration retryBackoff, Duration retryBackoffMax, Duration heartbeatInterval,
                                   Duration heartbeatTimeout, boolean tokenStream) {

    public DirectorLinkSettings {
        if (directors == null || directors.isEmpty()) {
            throw new IllegalArgumentException("directors: none given (expected at least one host:port)");
        }
        directors = List.copyOf(directors);
    }

    /** The name the director's certificate must carry: the configured one, else the address's host. */
    String tlsName(HostPort director) {
        return directorTlsName == null || directorTlsName.isBlank() ? director.host() : directorTlsName;
    }
}
