package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;

/** A {@link Leg} on a QUIC stream of the director connection. Loop-confined. */
final class QuicLeg implements Leg {

    private final LegHandler handler;
    private QuicStreamChannel stream;
    private boolean reading = true;
    private boolean cancelled;

    private QuicLeg(LegEvents events) {
        this.handler = new LegHandler(events);
    }

    static QuicLeg open(QuicChannel connection, FrameLimits limits, GenerationRequest request, LegEvents events) {
        QuicLeg leg = new QuicLeg(events);
        connection.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
                StreamPipelines.messages(stream, limits, leg.handler);
            }
        }).addListener(opened -> {
            if (!opened.isSuccess()) {
                if (!leg.cancelled) {
                    leg.handler.settle();
                    events.broken("cannot open stream: " + opened.cause());
                }
                return;
            }
            QuicStreamChannel stream = (QuicStreamChannel) opened.getNow();
            leg.stream = stream;
            if (leg.cancelled) {
                QuicStreams.finish(stream);
                return;
            }
            stream.config().setAutoRead(leg.reading);
            stream.writeAndFlush(request);
        });
        return leg;
    }

    @Override
    public void read(boolean enabled) {
        reading = enabled;
        if (stream != null && !cancelled && stream.isActive()) {
            stream.config().setAutoRead(enabled);
        }
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        handler.settle();
        if (stream != null) {
            QuicStreams.finish(stream); // our FIN: the director stops the worker and finishes its side
        }
    }
}
