package io.connectionswap.protocol.quic;

import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.codec.MessageEncoder;
import io.connectionswap.protocol.frame.FrameBudget;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;

/** The pipeline of every stream: frame decoder with size limits first, codec next, business handler last. */
public final class StreamPipelines {

    private StreamPipelines() {
    }

    /** Frames decoded into message records. */
    public static void messages(Channel stream, FrameLimits limits, ChannelHandler handler) {
        messages(stream, limits, FrameBudget.UNLIMITED, handler);
    }

    /** Frames decoded into message records, their incomplete frames held within {@code budget}. */
    public static void messages(Channel stream, FrameLimits limits, FrameBudget budget, ChannelHandler handler) {
        stream.pipeline().addLast(new FrameDecoder(limits, budget), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE,
                handler);
    }

    /** Frames left as {@code RawFrame}s for relaying; messages written are still encoded. */
    public static void rawFrames(Channel stream, FrameLimits limits, ChannelHandler handler) {
        stream.pipeline().addLast(new FrameDecoder(limits), MessageEncoder.INSTANCE, handler);
    }
}
