package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.quic.testing.QuicCloseEvents;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import org.junit.jupiter.api.Test;

/**
 * A peer that closes the connection without a reason phrase (a plain {@code QuicChannel.close()}: Netty then hands a
 * {@link QuicConnectionCloseEvent} whose reason is null, and {@code reason()} throws NullPointerException). PeerClose
 * called {@code close.reason()} unguarded: the NPE went down the director connection's pipeline as a WARN with a
 * stack trace ("An exceptionCaught() event ... reached at the tail of the pipeline") at every such close, and the
 * close's error code was never recorded for the client's "lost connection" line.
 */
class PeerCloseTest {

    @Test
    void aCloseWithoutAReasonPhraseIsRecordedWithItsCodeAndThrowsNothing() {
        QuicConnectionCloseEvent close = QuicCloseEvents.applicationClose(0x10b, null);
        PeerClose peerClose = new PeerClose();
        EmbeddedChannel connection = new EmbeddedChannel(peerClose);

        assertThatCode(() -> {
            connection.pipeline().fireUserEventTriggered(close);
            connection.checkException();
        }).as("a close without a reason phrase").doesNotThrowAnyException();
        assertThat(peerClose.reason()).as("what the client says about the close").isNotNull();
        connection.finishAndReleaseAll();
    }

    /**
     * A director's CONNECTION_CLOSE (its drain's end: SHUTTING_DOWN) left the client's QUIC channel open through
     * QUIC's draining period, three probe timeouts, before Netty closed it: the link heard of the close (and
     * reconnected) only then. With a loop slowed by CPU contention the probe timeout grows with the round trips it
     * measures, and the draining outlasted the heartbeat timeout (3.5 s): the client logged WARN "director stopped
     * answering heartbeats" for a planned close, and the generation waiting to resume waited as long
     * (SwapClientSingleAddressDrainTest, in a loaded full module run). Nothing more comes on a connection the peer
     * closed: the client's side closes as it reads the close (shared-protocol's CloseOnPeerClose, first of the
     * handlers {@link DirectorDialer} gives a connection).
     */
    @Test
    void theDirectorsCloseClosesTheClientsSideAtOnce() {
        PeerClose peerClose = new PeerClose();
        EmbeddedChannel connection = new EmbeddedChannel();
        DirectorDialer.addConnectionHandlers(connection.pipeline(), peerClose, new ChannelInboundHandlerAdapter());

        connection.pipeline().fireUserEventTriggered(QuicCloseEvents.applicationClose(ErrorCode.SHUTTING_DOWN.code(),
                "director d-1 is shutting down"));

        assertThat(peerClose.shuttingDown()).isTrue();
        assertThat(connection.isOpen()).as("the connection, closed by the director, closed on the client's side too")
                .isFalse();
        connection.finishAndReleaseAll();
    }
}
