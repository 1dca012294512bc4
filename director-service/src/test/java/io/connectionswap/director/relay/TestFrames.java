package io.connectionswap.director.relay;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.message.Message;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

/** Frames as the worker-side decoder hands them to a session. */
final class TestFrames {

    private TestFrames() {
    }

    static RawFrame frame(Message message) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(FrameLimits.uniform(1024)));
        decoder.writeInbound(MessageCodec.encode(ByteBufAllocator.DEFAULT, message));
        RawFrame frame = decoder.readInbound();
        decoder.finish();
        return frame;
    }
}
