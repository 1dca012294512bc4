package io.connectionswap.client.stream;

import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamResetException;

/** The client's side of one generation stream; reports what happens on it to the {@link GenerationLoop}. */
final class GenerationStreamHandler extends SimpleChannelInboundHandler<Message> {

    private final GenerationLoop loop;
    private final Generation generation;
    private boolean settled;

    GenerationStreamHandler(GenerationLoop loop, Generation generation) {
        this.loop = loop;
        this.generation = generation;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (settled) {
            return;
        }
        if (message instanceof Token token) {
            loop.token(generation, token);
        } else if (message instanceof Connected connected) {
            loop.assigned(generation, connected);
        } else if (message instanceof End end) {
            settle(ctx);
            loop.ended(generation, end);
        } else if (message instanceof Retry retry) {
            settle(ctx);
            loop.retry(generation, retry);
        } else if (message instanceof StreamError error) {
            settle(ctx);
            loop.refused(generation, error);
        } else {
            settle(ctx);
            loop.broken(generation, "unexpected " + message.frameType() + " frame from director");
        }
    }

    private void settle(ChannelHandlerContext ctx) {
        settled = true;
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent && !settled) {
            settle(ctx);
            loop.broken(generation, "director ended the stream without END or RETRY");
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!settled) {
            settled = true;
            loop.broken(generation, "stream closed");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!settled) {
            settled = true;
            loop.broken(generation, cause instanceof QuicStreamResetException reset
                    ? "stream reset by director (code " + reset.applicationProtocolCode() + ")"
                    : "bad frame from director: " + StreamFailures.describe(cause));
        }
        ctx.close();
    }
}
