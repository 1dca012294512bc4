package io.connectionswap.protocol.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.Heartbeat;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class HeartbeatsTest {

    /** Index of the user-defined writability flag the tests turn off to stand for a full stream. */
    private static final int FULL = 1;

    @Test
    void responderEchoesAtOnceWhileTheStreamCanTakeIt() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());

        stream.writeInbound(new Heartbeat(7));

        assertThat((Object) stream.readOutbound()).isEqualTo(new Heartbeat(7));
        assertThat((Object) stream.readOutbound()).isNull();
    }

    @Test
    void responderOwesTheLatestEchoWhileTheStreamIsFullAndSendsItWhenTheStreamDrains() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());
        stream.unsafe().outboundBuffer().setUserDefinedWritability(FULL, false);

        stream.writeInbound(new Heartbeat(1));
        stream.writeInbound(new Heartbeat(2));
        assertThat((Object) stream.readOutbound()).as("nothing queued while the stream is full").isNull();

        stream.unsafe().outboundBuffer().setUserDefinedWritability(FULL, true);
        stream.runPendingTasks();

        assertThat((Object) stream.readOutbound()).isEqualTo(new Heartbeat(2));
        assertThat((Object) stream.readOutbound()).as("one echo for the heartbeats of a full stretch").isNull();
    }

    @Test
    void responderSendsNothingToAPeerThatNeverReadsAgain() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());
        stream.unsafe().outboundBuffer().setUserDefinedWritability(FULL, false);

        for (int i = 0; i < 100; i++) {
            stream.writeInbound(new Heartbeat(i));
        }
        stream.runPendingTasks();

        assertThat((Object) stream.readOutbound()).isNull();
        assertThat(stream.unsafe().outboundBuffer().totalPendingWriteBytes()).isZero();
    }

    @Test
    void otherMessagesPassThrough() {
        EmbeddedChannel stream = new EmbeddedChannel(Heartbeats.responder());

        stream.writeInbound("not a heartbeat");

        assertThat((Object) stream.readInbound()).isEqualTo("not a heartbeat");
        assertThat((Object) stream.readOutbound()).isNull();
    }
}
