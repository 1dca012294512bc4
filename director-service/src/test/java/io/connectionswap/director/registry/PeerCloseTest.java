package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.quic.testing.QuicCloseEvents;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * The handler of a worker link's QUIC connection and the worker's CONNECTION_CLOSE: the close's code is kept (a
 * SHUTTING_DOWN close is the worker's drain), and the director's side closes as the close is read, not once QUIC's
 * draining period (three probe timeouts) is over, so the link is lost, and its generations move, at once.
 */
class PeerCloseTest {

    @Test
    void theWorkersShuttingDownCloseIsKeptAndClosesTheDirectorsSideAtOnce() {
        EmbeddedChannel connection = new EmbeddedChannel(PeerClose.connectionHandler());

        connection.pipeline().fireUserEventTriggered(
                QuicCloseEvents.applicationClose(ErrorCode.SHUTTING_DOWN.code(), "worker is shutting down"));

        assertThat(PeerClose.shuttingDown(connection)).as("the worker's drain").isTrue();
        assertThat(connection.isOpen()).as("the connection, closed by the worker, closed on the director's side too")
                .isFalse();
        connection.finishAndReleaseAll();
    }

    @Test
    void anotherCloseIsKeptAsNoDrainAndClosesTheDirectorsSideToo() {
        EmbeddedChannel connection = new EmbeddedChannel(PeerClose.connectionHandler());

        connection.pipeline().fireUserEventTriggered(
                QuicCloseEvents.applicationClose(ErrorCode.UNEXPECTED_MESSAGE.code(), null));

        assertThat(PeerClose.shuttingDown(connection)).as("a lost connection, not a drain").isFalse();
        assertThat(connection.isOpen()).as("closed on the director's side too").isFalse();
        connection.finishAndReleaseAll();
    }
}
