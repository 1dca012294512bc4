package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.quic.HostPort;
import io.netty.handler.codec.quic.QuicChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The streams of one connection to a director: its control stream ({@link DirectorControlStream}: heartbeats and
 * GOAWAY) and, when the client asks for it, its client token stream ({@link TokenStreamOpener}), both opened when it
 * is made; then the generation streams (legs) and status calls opened on it. Every stream opens through the
 * connection's {@link StreamOpener}, within the director's stream limit; the frames tagged for a leg arrive through
 * the connection's {@link TokenStreamDemux}. Loop-confined (the connection's loop).
 */
final class DirectorStreams {

    private final StreamOpener opener;
    /** The client token stream of the connection: where its legs' tagged frames arrive. */
    private final TokenStreamDemux tokens;
    private final FrameLimits limits;
    /** Whether legs ask for the client token stream ({@link DirectorLinkSettings#tokenStream}). */
    private final boolean tokenStream;

    private DirectorStreams(StreamOpener opener, TokenStreamDemux tokens, FrameLimits limits, boolean tokenStream) {
        this.opener = opener;
        this.tokens = tokens;
        this.limits = limits;
        this.tokenStream = tokenStream;
    }

    /**
     * Opens the control stream of {@code channel}, a connection to {@code director} whose streams open through
     * {@code opener}, and its client token stream when {@code settings} ask for it; {@code goingAway} runs when the
     * director says GOAWAY. A malformed frame on the token stream closes the connection.
     */
    static DirectorStreams open(QuicChannel channel, StreamOpener opener, DirectorLinkSettings settings,
                                HostPort director, Runnable goingAway) {
        TokenStreamDemux demux = new TokenStreamDemux(problem -> {
            LogLine.error(DirectorLink.log).field("director.addr", director).quoted("problem", problem)
                    .log("malformed frame on the director's token stream; reconnecting");
            channel.close();
        });
        DirectorControlStream.open(channel, opener, settings, director, demux, goingAway);
        FrameLimits limits = settings.quic().frameLimits();
        if (settings.tokenStream()) {
            TokenStreamOpener.open(opener, limits, demux, director);
        }
        return new DirectorStreams(opener, demux, limits, settings.tokenStream());
    }

    /** Opens a leg of {@code request}: a generation stream, its tokens on the client token stream if there is one. */
    Leg openLeg(GenerationRequest request, LegEvents events) {
        return QuicLeg.open(opener, limits, request.withTokenStream(tokenStream), events, tokens);
    }

    /** Asks the director for its workers, on a stream of its own. */
    CompletableFuture<ClusterStatus> status(String requestedBy, Duration timeout) {
        return StatusCall.ask(opener, limits, requestedBy, timeout);
    }

    /** The director said GOAWAY: the streams waiting for its stream limit open on the next connection. */
    void directorLeaving() {
        opener.directorLeaving();
    }
}
