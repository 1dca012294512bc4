package io.connectionswap.director.quic;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.StreamError;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamAddress;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamChannelConfig;
import io.netty.handler.codec.quic.QuicStreamFrame;
import io.netty.handler.codec.quic.QuicStreamPriority;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * A bidirectional QUIC stream for {@code EmbeddedChannel} tests: half-closure as Netty's QUIC streams do it (our FIN
 * with {@link #shutdownOutput()}, the peer's FIN with {@link #peerFinished()}, closed once both sides finished), writes
 * after our FIN fail like Netty's, and the connection ({@link #parent()}) is whatever the test gives.
 */
final class EmbeddedQuicStream extends EmbeddedChannel implements QuicStreamChannel {

    private final QuicChannel connection;
    private final long streamId;
    private final Config config;
    private boolean inputShutdown;
    private boolean outputShutdown;
    private int writesAfterFin;
    /** The peer gives no flow-control credit: nothing written leaves (see {@link #withholdCredit()}). */
    private boolean creditWithheld;
    /** The error code of our reset ({@code shutdown(error)}), or -1 when the stream was not reset. */
    private int resetCode = -1;

    EmbeddedQuicStream(QuicChannel connection, long streamId, ByteBufAllocator alloc) {
        super(connection, DefaultChannelId.newInstance(), false, false);
        this.connection = connection;
        this.streamId = streamId;
        this.config = new Config(this);
        config.setAllocator(alloc);
        config.setAllowHalfClosure(true);
        try {
            register();
        } catch (Exception e) {
            throw new IllegalStateException("cannot register embedded stream", e);
        }
    }

    /** The codes of the ERROR frames sent on this stream since the last look; everything sent is read and released. */
    List<ErrorCode> errorCodesSent() {
        List<ErrorCode> codes = new ArrayList<>();
        Object written;
        while ((written = readOutbound()) != null) {
            if (written instanceof StreamError error) {
                codes.add(error.code());
            }
            ReferenceCountUtil.release(written);
        }
        return codes;
    }

    /** The peer finished its side (its FIN was read): the events Netty's QUIC stream fires, then close if we finished. */
    void peerFinished() {
        if (inputShutdown || !isOpen()) {
            return;
        }
        inputShutdown = true;
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        closeIfDone();
        runPendingTasks();
    }

    /**
     * From now on the peer gives no flow-control credit (it reads nothing): what our side writes stays queued, its
     * writes never complete, as on a QUIC stream whose peer's window is full; closing the stream fails and releases it.
     */
    void withholdCredit() {
        creditWithheld = true;
    }

    /** The peer reads again and gives credit: what was queued leaves at the next flush. */
    void grantCredit() {
        creditWithheld = false;
        flush();
        runPendingTasks();
    }

    /** The application error code our side reset the stream with, or -1 when it did not reset it. */
    int resetCode() {
        return resetCode;
    }

    /** Messages our side tried to write after its FIN (they failed, as on a real stream). */
    int writesAfterFin() {
        return writesAfterFin;
    }

    private void closeIfDone() {
        if (inputShutdown && outputShutdown && isOpen()) {
            close();
        }
    }

    /** Writes as Netty's QUIC stream does them: a {@link QuicStreamFrame} with FIN ends our side. */
    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        Object msg;
        while (!creditWithheld && (msg = in.current()) != null) {
            if (outputShutdown) {
                writesAfterFin++;
                in.remove(new ChannelOutputShutdownException("stream " + streamId + " output was shut down"));
            } else if (msg instanceof QuicStreamFrame frame && frame.hasFin()) {
                // our FIN, with the heartbeat it travels with (QuicStreams.finish): the end, not a message
                in.remove();
                outputShutdown = true;
                closeIfDone();
            } else if (msg instanceof QuicStreamFrame frame) {
                handleOutboundMessage(frame.content().retain());
                in.remove();
            } else {
                handleOutboundMessage(ReferenceCountUtil.retain(msg));
                in.remove();
            }
        }
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown || !isActive();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isActive();
    }

    @Override
    public boolean isShutdown() {
        return isInputShutdown() && isOutputShutdown();
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        return shutdownOutput(0, promise);
    }

    @Override
    public ChannelFuture shutdownOutput(int error, ChannelPromise promise) {
        flush();
        outputShutdown = true;
        promise.setSuccess();
        closeIfDone();
        return promise;
    }

    @Override
    public ChannelFuture shutdownInput(int error, ChannelPromise promise) {
        inputShutdown = true;
        promise.setSuccess();
        closeIfDone();
        return promise;
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return shutdown(0, promise);
    }

    @Override
    public ChannelFuture shutdown(int error, ChannelPromise promise) {
        resetCode = error;
        inputShutdown = true;
        outputShutdown = true;
        promise.setSuccess();
        closeIfDone();
        return promise;
    }

    @Override
    public QuicStreamAddress localAddress() {
        return new QuicStreamAddress(streamId);
    }

    @Override
    public QuicStreamAddress remoteAddress() {
        return new QuicStreamAddress(streamId);
    }

    @Override
    public boolean isLocalCreated() {
        return false;
    }

    @Override
    public QuicStreamType type() {
        return QuicStreamType.BIDIRECTIONAL;
    }

    @Override
    public long streamId() {
        return streamId;
    }

    @Override
    public QuicStreamPriority priority() {
        return null;
    }

    @Override
    public ChannelFuture updatePriority(QuicStreamPriority priority, ChannelPromise promise) {
        return promise.setSuccess();
    }

    @Override
    public QuicChannel parent() {
        return connection;
    }

    @Override
    public QuicStreamChannel read() {
        super.read();
        return this;
    }

    @Override
    public QuicStreamChannel flush() {
        super.flush();
        return this;
    }

    @Override
    public QuicStreamChannelConfig config() {
        return config;
    }

    /** The channel options a QUIC stream has, on a plain channel config. */
    private static final class Config extends DefaultChannelConfig implements QuicStreamChannelConfig {
        private volatile boolean allowHalfClosure;
        private volatile boolean readFrames;

        Config(EmbeddedQuicStream stream) {
            super(stream);
        }

        @Override
        public boolean isAllowHalfClosure() {
            return allowHalfClosure;
        }

        @Override
        public QuicStreamChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
            this.allowHalfClosure = allowHalfClosure;
            return this;
        }

        @Override
        public QuicStreamChannelConfig setReadFrames(boolean readFrames) {
            this.readFrames = readFrames;
            return this;
        }

        @Override
        public boolean isReadFrames() {
            return readFrames;
        }

        @Override
        public QuicStreamChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
            super.setMaxMessagesPerRead(maxMessagesPerRead);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setWriteSpinCount(int writeSpinCount) {
            super.setWriteSpinCount(writeSpinCount);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setAllocator(ByteBufAllocator allocator) {
            super.setAllocator(allocator);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
            super.setRecvByteBufAllocator(allocator);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setAutoRead(boolean autoRead) {
            super.setAutoRead(autoRead);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setAutoClose(boolean autoClose) {
            super.setAutoClose(autoClose);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
            super.setMessageSizeEstimator(estimator);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
            super.setWriteBufferWaterMark(writeBufferWaterMark);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
            super.setConnectTimeoutMillis(connectTimeoutMillis);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
            super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
            return this;
        }

        @Override
        public QuicStreamChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
            super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
            return this;
        }
    }
}
