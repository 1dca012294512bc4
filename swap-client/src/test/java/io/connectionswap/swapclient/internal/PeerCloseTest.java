package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import java.lang.reflect.Constructor;
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
    void aCloseWithoutAReasonPhraseIsRecordedWithItsCodeAndThrowsNothing() throws Exception {
        Constructor<QuicConnectionCloseEvent> constructor = QuicConnectionCloseEvent.class
                .getDeclaredConstructor(boolean.class, int.class, byte[].class);
        constructor.setAccessible(true);
        QuicConnectionCloseEvent close = constructor.newInstance(true, 0x10b, null);
        PeerClose peerClose = new PeerClose();
        EmbeddedChannel connection = new EmbeddedChannel(peerClose);

        assertThatCode(() -> {
            connection.pipeline().fireUserEventTriggered(close);
            connection.checkException();
        }).as("a close without a reason phrase").doesNotThrowAnyException();
        assertThat(peerClose.reason()).as("what the client says about the close").isNotNull();
        connection.finishAndReleaseAll();
    }
}
