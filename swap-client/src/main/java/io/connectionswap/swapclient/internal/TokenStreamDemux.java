package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.quic.TaggedFrameRouter;
import io.netty.channel.ChannelHandler;
import io.netty.util.collection.LongObjectHashMap;
import java.util.function.Consumer;

/**
 * The client token stream of one director connection: a director that honours a leg's {@code tokenStream} sends every
 * frame of that leg's generation stream (CONNECTED, TOKEN, END, RETRY, ERROR) wrapped in TAGGED with the generation
 * stream's id, so that the tokens of all generations share one stream (and packets). It sends them on the stream the
 * client opened for them with TOKEN_STREAM, or, a director of an older version (or one that had not read that stream
 * yet when a GENERATE came), on the control stream: each of the two carries a {@link #reader()}. This hands each
 * inner frame, decoded, to the leg registered for that id ({@link LegHandler#fromTokenStream}); other frames
 * (heartbeat echoes, GOAWAY) pass on. A frame for an id no leg holds (cancelled or settled) is dropped.
 *
 * <p>A malformed TAGGED frame is the director's fault, and the generations behind it cannot trust what follows:
 * {@code onMalformed} closes the connection, so every leg breaks and resumes on the next one, as after a loss. One
 * per connection, loop-confined.
 */
final class TokenStreamDemux {

    private final LongObjectHashMap<LegHandler> legs = new LongObjectHashMap<>();
    private final Consumer<String> onMalformed;
    private boolean malformed;

    /** @param onMalformed told (once) what was wrong with a TAGGED frame; closes the connection */
    TokenStreamDemux(Consumer<String> onMalformed) {
        this.onMalformed = onMalformed;
    }

    /** {@code leg} takes the frames tagged {@code streamId} from now on (its stream is open, GENERATE not yet sent). */
    void register(long streamId, LegHandler leg) {
        legs.put(streamId, leg);
    }

    /** {@code leg} is settled: frames still tagged {@code streamId} are dropped. */
    void unregister(long streamId, LegHandler leg) {
        if (legs.get(streamId) == leg) {
            legs.remove(streamId);
        }
    }

    /** Legs registered now. */
    int registered() {
        return legs.size();
    }

    /** For one stream that may carry this connection's tagged frames: between its frame and message decoders. */
    ChannelHandler reader() {
        return TaggedFrameRouter.of(TaggedFrames.FROM_DIRECTOR, this::route, (ctx, problem) -> {
            if (!malformed) { // once per connection, whichever of its streams it came on
                malformed = true;
                onMalformed.accept(problem);
            }
        });
    }

    private void route(long streamId, RawFrame inner) {
        try {
            LegHandler leg = legs.get(streamId);
            if (leg == null) {
                return; // a leg cancelled or settled meanwhile
            }
            Message message;
            try {
                message = MessageCodec.decode(inner);
            } catch (ProtocolException e) {
                leg.badFrameOnTokenStream(e); // whole and of a known type, its content wrong: that leg's problem
                return;
            }
            leg.fromTokenStream(message);
        } finally {
            inner.release();
        }
    }
}
