package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A connection's streams as embedded channels with the client's real pipelines: the control stream and the
 * client's own token stream, each with a {@link TokenStreamDemux#reader()} between its frame decoder and message
 * decoder (as {@link DirectorLink} and {@link TokenStreamOpener} build them), and
 * generation streams with a {@link QuicLeg}'s handler. Tests play the director by writing frames inbound.
 */
final class TokenStreams {

    static final FrameLimits LIMITS = FrameLimits.DEFAULTS;
    static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    final List<String> malformed = new ArrayList<>();
    final TokenStreamDemux demux = new TokenStreamDemux(malformed::add);
    /** What the control stream passes on past the demux (to the heartbeat and GOAWAY handlers). */
    final List<Message> passedOn = new ArrayList<>();
    final EmbeddedChannel control = new EmbeddedChannel();
    /** The client token stream of its own ({@link TokenStreamOpener}); the director sends on it or on the control stream. */
    final EmbeddedChannel own = new EmbeddedChannel();

    TokenStreams() {
        StreamPipelines.messages(control, LIMITS, new SimpleChannelInboundHandler<Message>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Message message) {
                passedOn.add(message);
            }
        });
        control.pipeline().addAfter(control.pipeline().context(FrameDecoder.class).name(), "token-stream",
                demux.reader());
        StreamPipelines.messages(own, LIMITS, new SimpleChannelInboundHandler<Message>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Message message) {
                passedOn.add(message);
            }
        });
        own.pipeline().addAfter(own.pipeline().context(FrameDecoder.class).name(), "token-stream", demux.reader());
    }

    /** A leg whose stream {@code streamId} is open and has sent {@code request}. */
    Leg open(long streamId, GenerationRequest request) {
        Leg leg = new Leg(new RecordingEvents());
        StreamPipelines.messages(leg.stream, LIMITS, leg.quic.handler());
        leg.quic.opened(leg.stream, streamId, request, demux);
        return leg;
    }

    /** The director sends {@code message} tagged {@code streamId} on the control stream; returns the bytes sent. */
    ByteBuf tagged(long streamId, Message message) {
        ByteBuf frame = TaggedFrames.wrap(ALLOC, streamId, MessageCodec.encode(ALLOC, message));
        frame.retain(); // the test's own reference, to see that the client released the frame
        control.writeInbound(frame);
        return frame;
    }

    /** The director sends {@code message} tagged {@code streamId} on the client's own token stream. */
    ByteBuf taggedOnOwn(long streamId, Message message) {
        ByteBuf frame = TaggedFrames.wrap(ALLOC, streamId, MessageCodec.encode(ALLOC, message));
        frame.retain();
        own.writeInbound(frame);
        return frame;
    }

    /** {@code frame} as the director sends it; returns the bytes sent, with a reference of the test's own. */
    ByteBuf raw(ByteBuf frame) {
        frame.retain();
        control.writeInbound(frame);
        return frame;
    }

    /** The messages a channel wrote (encoded frames, decoded back). */
    static List<Message> written(EmbeddedChannel channel) {
        List<Message> messages = new ArrayList<>();
        for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            try {
                messages.add(MessageCodec.decode(new RawFrame(FrameType.fromCode(out.getUnsignedByte(out.readerIndex())),
                        out)));
            } finally {
                out.release();
            }
        }
        return messages;
    }

    /** A generation stream and its leg. */
    static final class Leg {
        final RecordingEvents events;
        final QuicLeg quic;
        final EmbeddedChannel stream = new EmbeddedChannel();

        Leg(RecordingEvents events) {
            this.events = events;
            this.quic = new QuicLeg(events);
        }

        /** The director sends {@code message} on the generation stream itself. */
        void onStream(Message message) {
            stream.writeInbound(MessageCodec.encode(ALLOC, message));
        }
    }

    /** Every event of a leg, as text, in order. */
    static final class RecordingEvents implements LegEvents {
        final List<String> events = new ArrayList<>();

        int finals() {
            return (int) events.stream().filter(e -> !e.startsWith("assigned") && !e.startsWith("token")).count();
        }

        @Override
        public void assigned(Connected connected) {
            events.add("assigned " + connected.worker());
        }

        @Override
        public void token(Token token) {
            events.add("token " + token.sequence() + token.text());
        }

        @Override
        public void ended(End end) {
            events.add("ended " + end.lastSequence());
        }

        @Override
        public void retry(Retry retry) {
            events.add("retry " + retry.reason());
        }

        @Override
        public void refused(StreamError error) {
            events.add("refused " + error.code());
        }

        @Override
        public void broken(String problem) {
            events.add("broken " + problem);
        }
    }
}
