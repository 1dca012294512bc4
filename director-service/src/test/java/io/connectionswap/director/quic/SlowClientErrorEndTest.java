package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.config.LimitProperties;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.codec.MessageEncoder;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A relayed generation on its own client stream whose client reads slowly (its window full for a while, well within
 * CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT) when the director ends the stream with an ERROR (MIGRATION_LIMIT,
 * STREAM_TIMEOUT, NO_HEALTHY_WORKER: QuicStreamSides.client(...).fail is StreamFailures.endStream(stream, error)).
 */
class SlowClientErrorEndTest {

    /**
     * With 14b07a4 the FIN and its 10 s linger were queued at once behind every ERROR, so the linger also bounded the
     * delivery of every token still queued before it: a client that was merely slow (the slow-client watch allows
     * 30 s without reading) was reset CANCELLED after 10 s and never read its last tokens nor the ERROR saying why the
     * generation ended. Only an ERROR after bad input queues the FIN at once now; this one waits for its frames to be
     * written, as a stream that ends normally does. Found by the review helper.
     */
    @Test
    void aSlowClientStillReadsItsTokensAndTheErrorEndingItsGeneration() {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(PeerConnections.connection("client"), 4,
                UnpooledByteBufAllocator.DEFAULT);
        stream.freezeTime();
        stream.pipeline().addLast(MessageEncoder.INSTANCE);
        stream.withholdCredit(); // the client's subscriber is slow: its window is full for now
        for (int i = 1; i <= 3; i++) {
            stream.writeAndFlush(MessageCodec.encode(UnpooledByteBufAllocator.DEFAULT, new Token(i, "t" + i)));
        }

        StreamFailures.endStream(stream, new StreamError(ErrorCode.MIGRATION_LIMIT, "moved too often"));

        Duration slowButAllowed = QuicStreams.DEFAULT_LINGER.plusSeconds(5);
        assertThat(slowButAllowed).isLessThan(LimitProperties.DEFAULTS.slowClientTimeout());
        stream.advanceTimeBy(slowButAllowed.toNanos(), TimeUnit.NANOSECONDS);
        stream.runScheduledPendingTasks();
        stream.runPendingTasks();
        stream.grantCredit(); // the client reads again, within the slow-client timeout

        assertThat(stream.resetCode()).as("a slow client is not reset before it could read its stream's end")
                .isEqualTo(-1);
        assertThat(stream.outboundMessages()).as("three tokens and the ERROR").hasSize(4);
    }
}
