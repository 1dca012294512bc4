package io.connectionswap.director.quic;

import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.quic.ConnectionProblems;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import org.slf4j.Logger;

/**
 * Ends a stream after bad input ({@link StreamFailures}) with one WARN per problem (error code) per connection, its
 * repeats at DEBUG with a WARN reminder counting them ({@link ConnectionProblems}): a peer that opens stream after
 * stream with the same bad input would otherwise write a WARN per stream as fast as it opens them. A frame refused on
 * a stream that must stay open is logged the same way.
 */
final class BadStreams {

    /** The per-connection problem of frames refused on a stream that stays open. */
    private static final String FRAME_REFUSED = "frame-refused";

    private BadStreams() {
    }

    /**
     * Refuses one frame of {@code stream}, a stream that must stay open (a client's control stream): logs as above,
     * once per connection, and sends an ERROR frame for {@code cause} when the stream can take it now (a client that
     * sends such frames and reads nothing must not have ERROR frames queue up), without our FIN.
     */
    static void refuseFrame(QuicStreamChannel stream, Logger log, ProtocolException cause) {
        RepeatedProblems.Occurrence occurrence = ConnectionProblems.occurred(stream, log, FRAME_REFUSED);
        occurrence.withRepeats(LogLine.at(log, occurrence.level()).field("peer", Peers.address(stream))
                        .field("connection.id", ConnectionIds.of(stream)).field("stream.id", stream.streamId())
                        .field("error", cause.errorCode()).quoted("problem", cause.getMessage()))
                .log("director refused a frame on the control stream; the stream stays open");
        if (stream.isActive() && !stream.isOutputShutdown() && stream.isWritable()) {
            stream.writeAndFlush(new StreamError(cause.errorCode(), cause.getMessage()), stream.voidPromise());
        }
    }

    /** Logs (as above) and ends {@code stream} with an ERROR frame for {@code cause}. */
    static void end(Channel stream, Logger log, Throwable cause) {
        StreamFailures.endStream(stream, log, "director", cause,
                ConnectionProblems.occurred(stream, log, StreamFailures.codeOf(cause)));
    }
}
