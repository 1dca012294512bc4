package io.connectionswap.protocol.codec;

import io.connectionswap.protocol.frame.RawFrame;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/** Turns {@link RawFrame}s into message records; stateless, so one shared instance serves every stream. */
@Sharable
public final class MessageDecoder extends MessageToMessageDecoder<RawFrame> {

    public static final MessageDecoder INSTANCE = new MessageDecoder();

    private MessageDecoder() {
        super(RawFrame.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, RawFrame frame, List<Object> out) {
        out.add(MessageCodec.decode(frame));
    }
}
