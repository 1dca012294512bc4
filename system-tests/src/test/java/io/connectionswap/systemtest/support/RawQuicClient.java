package io.connectionswap.systemtest.support;

import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.codec.MessageEncoder;
import io.connectionswap.protocol.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.net.InetSocketAddress;
import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.message.Heartbeat;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare QUIC peer for tests: writes arbitrary bytes or messages on streams and collects decoded replies. */
public final class RawQuicClient implements AutoCloseable {

    private final EventLoopGroup group = QuicEventLoops.create("test-quic", 1);
    private final QuicChannel connection;

    public RawQuicClient(QuicSslContext ssl, int port) throws Exception {
        this(ssl, port, QuicSettings.DEFAULTS);
    }

    /** A client with its own transport limits (e.g. a small stream window, to play a client that stops reading). */
    public RawQuicClient(QuicSslContext ssl, int port, QuicSettings settings) throws Exception {
        QuicConnector connector = new QuicConnector(group, settings, ssl);
        this.connection = connector.connect(new InetSocketAddress("127.0.0.1", port), "127.0.0.1", null, null)
                .get(10, TimeUnit.SECONDS);
    }

    public static QuicSslContext tls(TlsIdentity identity) {
        return io.connectionswap.protocol.tls.QuicTls.client(identity);
    }

    public QuicChannel connection() {
        return connection;
    }

    /** Streams by id, for the TAGGED frames of the client token stream ({@link #openControlStream}). */
    private final Map<Long, Stream> byId = new ConcurrentHashMap<>();

    /**
     * Opens the connection's control stream as the client library does (its first frame a HEARTBEAT) and takes the
     * TAGGED frames of the client token stream from it: each inner frame, decoded, goes to {@link Stream#replies} of
     * the stream whose id it carries (and counts in {@link Stream#taggedFrames}). Open it before the generation streams.
     */
    public Stream openControlStream() throws Exception {
        Stream control = openStream(true);
        control.write(new Heartbeat(System.nanoTime()));
        return control;
    }

    /**
     * Opens the connection's client token stream as the client library does (its only frame a TOKEN_STREAM): the
     * director sends the TAGGED frames of the client token stream there instead of on the control stream; each goes
     * to the stream whose id it carries, as there. Open it before the generation streams.
     */
    public Stream openClientTokenStream() throws Exception {
        Stream tokens = openStream(true);
        tokens.write(new io.connectionswap.protocol.message.TokenStream(
                io.connectionswap.protocol.message.TokenStream.VERSION));
        return tokens;
    }

    /** Opens a stream; what the peer sends back is decoded into {@link Stream#replies}. */
    public Stream openStream() throws Exception {
        return openStream(false);
    }

    private Stream openStream(boolean carriesTags) throws Exception {
        Stream stream = new Stream();
        stream.channel = connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel channel) {
                channel.pipeline().addLast(new FrameDecoder(io.connectionswap.protocol.frame.FrameLimits.uniform(1 << 22)));
                if (carriesTags) {
                    channel.pipeline().addLast(new TaggedFrameRouter(stream));
                }
                channel.pipeline().addLast(MessageDecoder.INSTANCE, MessageEncoder.INSTANCE,
                        new SimpleChannelInboundHandler<Message>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
                                if (!(msg instanceof Heartbeat)) {
                                    stream.ownFrames.incrementAndGet();
                                }
                                stream.replies.add(msg);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                stream.closed = true;
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                stream.failure = cause;
                                if (cause instanceof io.netty.handler.codec.quic.QuicStreamResetException) {
                                    io.connectionswap.protocol.quic.QuicStreams.peerReset((QuicStreamChannel) ctx.channel());
                                }
                            }
                        });
            }
        }).get(5, TimeUnit.SECONDS);
        byId.put(stream.channel.streamId(), stream);
        return stream;
    }

    /**
     * On the control stream and the client token stream: TAGGED frames to the stream they are for; the rest (echoes,
     * GOAWAY) passes on.
     */
    private final class TaggedFrameRouter extends io.connectionswap.protocol.quic.TaggedFrameRouter {
        private final Stream carrier;

        TaggedFrameRouter(Stream carrier) {
            super(TaggedFrames.FROM_DIRECTOR);
            this.carrier = carrier;
        }

        @Override
        protected void route(long streamId, RawFrame inner) {
            carrier.carriedTagged.incrementAndGet();
            try {
                Stream target = byId.get(streamId);
                if (target != null) {
                    target.taggedFrames.incrementAndGet();
                    target.replies.add(MessageCodec.decode(inner));
                }
            } finally {
                inner.release();
            }
        }

        @Override
        protected void malformed(ChannelHandlerContext ctx, String problem) {
            ctx.fireExceptionCaught(new java.io.IOException("malformed TAGGED frame from the director: " + problem));
        }
    }

    /**
     * Keeps the connection from its idle timeout while no stream carries anything (e.g. every stream is paused): a
     * control stream with a heartbeat every {@code interval}, as the client library does.
     */
    public void keepAlive(java.time.Duration interval) throws Exception {
        Stream control = openStream();
        control.channel.eventLoop().scheduleAtFixedRate(() -> {
            if (control.channel.isActive()) {
                control.channel.writeAndFlush(new io.connectionswap.protocol.message.Heartbeat(System.nanoTime()));
            }
            control.replies.clear(); // the echoes
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    public static final class Stream {
        public final BlockingQueue<Message> replies = new LinkedBlockingQueue<>();
        /** Frames for this stream that came tagged on the control stream or the client token stream. */
        public final AtomicInteger taggedFrames = new AtomicInteger();
        /** TAGGED frames this stream carried for others (the control stream, the client token stream). */
        public final AtomicInteger carriedTagged = new AtomicInteger();
        /** Frames other than HEARTBEAT that came on this stream itself. */
        public final AtomicInteger ownFrames = new AtomicInteger();
        public volatile boolean closed;
        /** What ended the stream abnormally (a {@code QuicStreamResetException} when the peer reset it), or null. */
        public volatile Throwable failure;
        private QuicStreamChannel channel;

        /** The application error code of the peer's reset, or -1 when the stream was not reset. */
        public long resetCode() {
            return failure instanceof io.netty.handler.codec.quic.QuicStreamResetException reset
                    ? reset.applicationProtocolCode() : -1;
        }

        /** Stops reading from the stream: the peer's data piles up until flow control stops it. */
        public void pauseReading() {
            channel.config().setAutoRead(false);
        }

        /** Writes without waiting for the write to complete. */
        public void writeBytesAsync(ByteBuf bytes) {
            channel.writeAndFlush(bytes);
        }

        public void writeBytes(ByteBuf bytes) {
            channel.writeAndFlush(bytes).syncUninterruptibly();
        }

        public void write(Message message) {
            channel.writeAndFlush(message).syncUninterruptibly();
        }

        public void finish() {
            channel.shutdownOutput().syncUninterruptibly();
        }

        /**
         * Ends our side as a well-behaved client does once the director ended its side (END or a final ERROR): our FIN,
         * so that both peers release the stream at once instead of after the director's linger.
         */
        public void done() {
            io.connectionswap.protocol.quic.QuicStreams.finish(channel);
        }

        /** Resets the stream both ways (RESET_STREAM and STOP_SENDING with {@code code}): a client that cancels hard. */
        public void reset(io.connectionswap.protocol.frame.ErrorCode code) {
            io.connectionswap.protocol.quic.QuicStreams.abort(channel, code);
        }

        public Message next(long seconds) throws InterruptedException {
            return replies.poll(seconds, TimeUnit.SECONDS);
        }
    }
}
