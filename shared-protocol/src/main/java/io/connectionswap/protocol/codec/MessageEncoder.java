package io.connectionswap.protocol.codec;

import io.connectionswap.protocol.message.Message;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** Encodes message records written to a stream; raw {@code ByteBuf}s (relayed frames) pass through untouched. */
@Sharable
public final class MessageEncoder extends MessageToMessageEncoder<Message> {

    public static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
        super(Message.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message message, List<Object> out) {
        out.add(MessageCodec.encode(ctx.alloc(), message));
    }
}
