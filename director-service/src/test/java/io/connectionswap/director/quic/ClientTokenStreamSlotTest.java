package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.TokenStream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.handler.codec.quic.QuicChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which stream of a client connection becomes its client token stream ({@link ControlStreams}). */
class ClientTokenStreamSlotTest {

    private final DefaultEventLoopGroup meterLoops = new DefaultEventLoopGroup(1);
    private final DirectorMeters meters = new DirectorMeters(new SimpleMeterRegistry(), meterLoops);
    private final QuicChannel connection = PeerConnections.connection("client");

    @AfterEach
    void release() {
        meterLoops.shutdownGracefully();
    }

    /**
     * A TOKEN_STREAM of a version this director does not speak was refused (ERROR UNEXPECTED_MESSAGE) but had already
     * taken the connection's client token stream slot: while the refused stream waited for the client's FIN the
     * director sent the tagged frames of new generations there, after its own FIN, and a TOKEN_STREAM of the right
     * version afterwards was refused as a second one. Only a TOKEN_STREAM the director takes fills the slot now.
     */
    @Test
    void aTokenStreamOfAnotherVersionLeavesTheSlotForOneOfTheRightVersion() {
        EmbeddedQuicStream refused = stream(4);
        refused.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT,
                new TokenStream(TokenStream.VERSION + 1)));
        assertThat(refused.errorCodesSent()).containsExactly(ErrorCode.UNEXPECTED_MESSAGE);

        EmbeddedQuicStream taken = stream(8);
        taken.writeInbound(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new TokenStream(TokenStream.VERSION)));

        assertThat(taken.errorCodesSent()).as("errors on the TOKEN_STREAM of the right version").isEmpty();
        assertThat(ControlStreams.isClientTokenStream(taken)).isTrue();
        assertThat(ControlStreams.forTokens(connection)).as("where the generations' tagged frames go").isSameAs(taken);
        refused.finishAndReleaseAll();
        taken.finishAndReleaseAll();
    }

    /**
     * A stream of the client connection, set up as DirectorQuicServer's StreamInitializer sets it up but without the
     * message encoder: what the director writes is read back as messages.
     */
    private EmbeddedQuicStream stream(long id) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, id, UnpooledByteBufAllocator.DEFAULT);
        DirectorStreamPipeline.install(stream, FrameLimits.DEFAULTS, null, null, "d-test", meters);
        return stream;
    }
}
