package io.connectionswap.worker.quic;

import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.quic.CoalescedSends;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A director connection's token stream: the stream the director opened with a {@link TokenStream} message (a stream
 * of its own beside the heartbeat stream; directors before 3 December 2026 sent it on the heartbeat stream).
 * The generations served on that connection send their CONNECTED, TOKEN and END frames here, each wrapped with its
 * stream id ({@link TaggedFrames}), instead of on their own streams: the quiche inside Netty puts one stream in a
 * packet, so frames of many generations on one stream share datagrams, and the writes of one event loop pass leave
 * together ({@link CoalescedSends}). Generations ask the model for more while this stream is writable; those that
 * found it full are topped up when it drains. Confined to the connection's event loop.
 */
final class WorkerTokenStream {

    private static final Logger log = LoggerFactory.getLogger(WorkerTokenStream.class);
    private static final AttributeKey<WorkerTokenStream> OF_CONNECTION =
            AttributeKey.valueOf(WorkerTokenStream.class, "tokenStream");

    private final QuicStreamChannel stream;
    private List<Runnable> waitingForRoom = new ArrayList<>();

    private WorkerTokenStream(QuicStreamChannel stream) {
        this.stream = stream;
    }

    /** The token stream of the connection carrying {@code generationStream}, or null when it has none (open). */
    static WorkerTokenStream of(Channel generationStream) {
        Channel connection = generationStream.parent();
        if (connection == null) {
            return null; // not a QUIC stream: a test's embedded channel
        }
        WorkerTokenStream tokens = connection.attr(OF_CONNECTION).get();
        return tokens != null && tokens.stream.isActive() ? tokens : null;
    }

    boolean isActive() {
        return stream.isActive();
    }

    boolean isWritable() {
        return stream.isWritable();
    }

    /** Sends {@code frame} (one whole frame; released here) as a frame of the generation relayed as {@code streamId}. */
    void send(long streamId, ByteBuf frame) {
        if (!stream.isActive()) {
            frame.release(); // the connection is closing: the director moves the generation
            return;
        }
        CoalescedSends.hold(stream);
        stream.writeAndFlush(TaggedFrames.wrap(stream.alloc(), streamId, frame), stream.voidPromise());
    }

    /** Runs {@code topUp} once this stream can take more again. */
    void whenWritable(Runnable topUp) {
        waitingForRoom.add(topUp);
    }

    private void writable() {
        List<Runnable> waiting = waitingForRoom;
        waitingForRoom = new ArrayList<>();
        waiting.forEach(Runnable::run);
    }

    /**
     * On every stream the director opens, before the generation handler: a {@link TokenStream} message makes the
     * stream its connection's token stream (never a generation's); anything else passes.
     */
    @ChannelHandler.Sharable
    static final class Acceptor extends ChannelInboundHandlerAdapter {

        static final Acceptor INSTANCE = new Acceptor();

        private Acceptor() {
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof TokenStream opened) || !(ctx.channel() instanceof QuicStreamChannel stream)) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (ctx.pipeline().get(GenerationStreamHandler.class) != null) {
                ctx.pipeline().remove(GenerationStreamHandler.class); // the token stream serves no generation
            }
            stream.parent().attr(OF_CONNECTION).set(new WorkerTokenStream(stream));
            LogLine.debug(log).field("stream.id", stream.streamId()).field("version", opened.version())
                    .log("director opened a token stream");
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            WorkerTokenStream tokens = ctx.channel().parent() == null ? null
                    : ctx.channel().parent().attr(OF_CONNECTION).get();
            if (tokens != null && tokens.stream == ctx.channel() && ctx.channel().isWritable()) {
                tokens.writable();
            }
            ctx.fireChannelWritabilityChanged();
        }
    }
}
