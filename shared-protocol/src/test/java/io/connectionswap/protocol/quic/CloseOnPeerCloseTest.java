package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.quic.testing.QuicCloseEvents;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The peer's CONNECTION_CLOSE closes this side at once, after the handlers behind it have seen the close. */
class CloseOnPeerCloseTest {

    @Test
    void thePeersCloseReachesTheHandlersAfterItThenClosesTheConnection() {
        List<Boolean> openAsTheCloseWasSeen = new ArrayList<>();
        EmbeddedChannel connection = new EmbeddedChannel(CloseOnPeerClose.INSTANCE, new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                openAsTheCloseWasSeen.add(ctx.channel().isOpen());
            }
        });

        connection.pipeline().fireUserEventTriggered(
                QuicCloseEvents.applicationClose(ErrorCode.SHUTTING_DOWN.code(), "shutting down"));

        assertThat(openAsTheCloseWasSeen).as("the handler after it saw the close, the connection still open")
                .containsExactly(true);
        assertThat(connection.isOpen()).as("closed on this side as the peer's close was read").isFalse();
        connection.finishAndReleaseAll();
    }

    @Test
    void otherEventsLeaveTheConnectionOpen() {
        EmbeddedChannel connection = new EmbeddedChannel(CloseOnPeerClose.INSTANCE);

        connection.pipeline().fireUserEventTriggered("another event");

        assertThat(connection.isOpen()).isTrue();
        connection.finishAndReleaseAll();
    }
}
