package io.connectionswap.director.relay;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.quic.CoalescedSends;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection's token stream: the stream the client opened for it with TOKEN_STREAM (an older client's
 * control stream), which carries the CONNECTED, TOKEN, END, RETRY and ERROR frames of every generation of that
 * connection that asked for it ({@code GenerationRequest.tokenStream}), each in a TAGGED frame with the generation stream's id. Why: the quiche inside Netty puts one stream in a QUIC
 * packet, so a token on its own stream costs the director a datagram of its own to the client; the tokens of many
 * generations on one stream share datagrams (bench/README, "The client leg multiplexed too"). The generations share
 * this stream's flow control: while it cannot take more, every session on it holds its worker back
 * at the worker's next frame, its slow-client clock running from the moment this stream filled
 * ({@link RelaySession#clientWritable}), and each generation's own back-pressure is the client's PAUSE message on its
 * generation stream. While no generation is on it any more, the sessions' slow-client rule is its own: a client that
 * takes nothing of what is queued here for CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT has it reset TOO_SLOW (the connection
 * then closes: ClientTokenStreamHandler). One per stream it is kept on; confined to the connection's loop.
 */
final class ClientTokenStream {

    private static final Logger log = LoggerFactory.getLogger(ClientTokenStream.class);
    private static final String UNREAD = "token_stream_unread";

    private static final AttributeKey<ClientTokenStream> KEY = AttributeKey.valueOf(ClientTokenStream.class, "tokens");

    private final QuicStreamChannel stream;
    private final boolean coalesce;
    private final Duration slowClientTimeout;
    private final DirectorMeters meters;
    /** The sessions whose frames go here: told when this stream's writability changes. */
    private final Set<RelaySession> sessions = new LinkedHashSet<>();
    /** A stream that cannot take more with no session on it is being watched ({@link LastWriteBound#watch}). */
    private boolean watchingUnread;

    private ClientTokenStream(QuicStreamChannel stream, boolean coalesce, Duration slowClientTimeout,
                              DirectorMeters meters) {
        this.stream = stream;
        this.coalesce = coalesce;
        this.slowClientTimeout = slowClientTimeout;
        this.meters = meters;
    }

    /** The token stream over {@code stream} (made at its first generation). Its loop. */
    static ClientTokenStream of(QuicStreamChannel stream, boolean coalesce, Duration slowClientTimeout,
                                DirectorMeters meters) {
        ClientTokenStream tokens = stream.attr(KEY).get();
        if (tokens == null) {
            tokens = new ClientTokenStream(stream, coalesce, slowClientTimeout, meters);
            stream.attr(KEY).set(tokens);
            stream.pipeline().addLast("client-token-stream", tokens.new WritabilityFanOut());
        }
        return tokens;
    }

    boolean isActive() {
        return stream.isActive();
    }

    boolean isWritable() {
        return stream.isWritable();
    }

    void add(RelaySession session) {
        sessions.add(session);
    }

    void remove(RelaySession session) {
        sessions.remove(session);
        watchIfUnread();
    }

    /** No session on this stream, and it cannot take more: nothing else watches it (SessionWatch watches sessions). */
    private void watchIfUnread() {
        if (!watchingUnread && sessions.isEmpty() && !stream.isWritable() && stream.isActive()) {
            watchingUnread = true;
            // a session's own watch applies again once one joins; the client taking enough ends it too
            LastWriteBound.watch(stream, slowClientTimeout, meters, () -> sessions.isEmpty() && !stream.isWritable(),
                    log, UNREAD, "client read nothing of its token stream, with no generation on it, for "
                            + "CONNECTION_SWAP_SLOW_CLIENT_TIMEOUT; resetting it", () -> watchingUnread = false);
        }
    }

    /**
     * Writes one whole frame ({@code frame}, released here) of the generation stream {@code streamId}. Coalesced,
     * it leaves with the rest of the worker read that brought it ({@link CoalescedSends}).
     */
    void relay(long streamId, ByteBuf frame) {
        ByteBuf tagged = TaggedFrames.wrap(stream.alloc(), streamId, frame);
        if (coalesce) {
            CoalescedSends.hold(stream);
            stream.write(tagged, stream.voidPromise());
        } else {
            stream.writeAndFlush(tagged, stream.voidPromise());
        }
    }

    /** Writes the director's own {@code message} (RETRY, ERROR) for {@code streamId} and sends at once. */
    void send(long streamId, Message message) {
        stream.writeAndFlush(TaggedFrames.wrap(stream.alloc(), streamId, MessageCodec.encode(stream.alloc(), message)),
                stream.voidPromise());
    }

    private final class WritabilityFanOut extends ChannelInboundHandlerAdapter {
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            boolean writable = ctx.channel().isWritable();
            for (RelaySession session : new ArrayList<>(sessions)) {
                session.clientWritable(writable && session.clientCanTakeMore());
            }
            watchIfUnread();
            ctx.fireChannelWritabilityChanged();
        }
    }
}
