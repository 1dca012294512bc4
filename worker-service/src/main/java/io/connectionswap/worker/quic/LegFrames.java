package io.connectionswap.worker.quic;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.quic.QuicStreams;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where the frames of one leg ({@link GenerationLeg}) go: when the director opened a token stream on this connection
 * ({@link WorkerTokenStream}), CONNECTED, the tokens and END go there, tagged with the director's stream id; else on
 * the leg's own stream. After END on the token stream our FIN on the leg's stream waits for the director's (it follows
 * once the director has read END): a FIN here could otherwise overtake END on the other stream and read as a worker
 * that stopped mid-generation. On the stream's loop.
 */
final class LegFrames {

    private final Channel stream;
    /** The connection's token stream, or null: the leg's frames go on {@link #stream}. */
    private final WorkerTokenStream tokens;
    /** The director's id of the stream, tagging the frames on the token stream. */
    private final long streamId;

    LegFrames(Channel stream, WorkerTokenStream tokens, long streamId) {
        this.stream = stream;
        this.tokens = tokens;
        this.streamId = streamId;
    }

    /** One frame of this leg (released here): on the connection's token stream when it has one. */
    void send(ByteBuf frame) {
        if (tokens != null) {
            tokens.send(streamId, frame);
        } else {
            stream.writeAndFlush(frame, stream.voidPromise());
        }
    }

    /** END, then our FIN on the leg's stream (class comment). */
    void end(End end) {
        if (tokens != null) {
            send(MessageCodec.encode(stream.alloc(), end));
            // our FIN follows the director's (class comment); a director that never sends it gets ours after the
            // linger a finished stream gives its peer (a no-op once the stream has ended)
            ScheduledFuture<?> ours = stream.eventLoop().schedule(() -> QuicStreams.finish(stream),
                    QuicStreams.DEFAULT_LINGER.toNanos(), TimeUnit.NANOSECONDS);
            stream.closeFuture().addListener(closed -> ours.cancel(false)); // no timer holds a released stream
        } else {
            stream.writeAndFlush(end).addListener(written -> QuicStreams.finish(stream));
        }
    }
}
