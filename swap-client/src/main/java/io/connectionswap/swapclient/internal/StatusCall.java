package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One STATUS_REQUEST on its own stream: the director answers with {@link ClusterStatus} and ends the stream. */
final class StatusCall extends SimpleChannelInboundHandler<Message> {

    private final CompletableFuture<ClusterStatus> result = new CompletableFuture<>();

    /**
     * Asks through {@code streams}, the connection's {@link StreamOpener}; {@code timeout} counts from now, a wait for
     * the director's stream limit included (the waiting stream is then given up).
     */
    static CompletableFuture<ClusterStatus> ask(StreamOpener streams, FrameLimits limits, String requestedBy,
                                                Duration timeout) {
        StatusCall call = new StatusCall();
        Future<QuicStreamChannel> opening = streams.open(new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, limits, call);
            }
        });
        var timer = streams.loop().schedule(() -> {
            boolean waited = !opening.isDone();
            if (call.result.completeExceptionally(new TimeoutException("no STATUS from the director within " + timeout
                    + (waited ? " (the stream waited for the director's stream limit)" : "")))
                    && !opening.cancel(false) && opening.isSuccess()) {
                QuicStreams.abort(opening.getNow(), ErrorCode.CANCELLED);
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        call.result.whenComplete((status, failure) -> timer.cancel(false));
        opening.addListener(opened -> {
            if (!opened.isSuccess()) {
                call.result.completeExceptionally(opened.cause()); // a cancel: the timeout ended it already
                return;
            }
            QuicStreamChannel stream = (QuicStreamChannel) opened.getNow();
            if (call.result.isDone()) {
                QuicStreams.abort(stream, ErrorCode.CANCELLED);
                return;
            }
            stream.writeAndFlush(new StatusRequest(requestedBy));
        });
        return call.result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (message instanceof ClusterStatus status) {
            result.complete(status);
        } else if (message instanceof StreamError error) {
            result.completeExceptionally(new IllegalStateException("director refused STATUS_REQUEST: " + error.code()
                    + " " + error.message()));
        } else {
            result.completeExceptionally(new IllegalStateException("expected STATUS, got " + message.frameType()));
        }
        QuicStreams.finish((QuicStreamChannel) ctx.channel());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            result.completeExceptionally(new IllegalStateException("director ended the stream without STATUS"));
            QuicStreams.finish((QuicStreamChannel) ctx.channel());
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        result.completeExceptionally(new IllegalStateException("status stream closed"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.completeExceptionally(cause);
        if (cause instanceof QuicStreamResetException) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel());
        } else {
            QuicStreams.finish((QuicStreamChannel) ctx.channel());
        }
    }
}
