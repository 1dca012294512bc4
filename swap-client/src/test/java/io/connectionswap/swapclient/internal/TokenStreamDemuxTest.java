package io.connectionswap.swapclient.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.quic.StreamPipelines;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The client token stream on embedded channels: the control stream's demux and the legs it feeds. */
class TokenStreamDemuxTest {

    private static final GenerationRequest ASKING = GenerationRequest.completion("gen-1", "prompt", 10)
            .withTokenStream(true);

    private final TokenStreams streams = new TokenStreams();

    private static Connected connected(String worker) {
        return new Connected(worker, "conn-1", 4, "gen-1", 0, "stand-in");
    }

    @Test
    void taggedFramesReachTheirLegInOrderAndTheFinalOneSettlesUnregistersAndFinishesTheStream() {
        TokenStreams.Leg first = streams.open(4, ASKING);
        TokenStreams.Leg second = streams.open(8, ASKING);
        assertThat(TokenStreams.written(first.stream)).containsExactly(ASKING);
        assertThat(streams.demux.registered()).isEqualTo(2);

        ByteBuf[] sent = {
            streams.tagged(4, connected("worker-a")),
            streams.tagged(8, connected("worker-b")),
            streams.tagged(4, new Token(1, " a1")),
            streams.tagged(8, new Token(1, " b1")),
            streams.tagged(4, new Token(2, " a2")),
            streams.tagged(4, new End("gen-1", 2, "length", new Usage(1, 2))),
        };

        assertThat(first.events.events).containsExactly("assigned worker-a", "token 1 a1", "token 2 a2", "ended 2");
        assertThat(second.events.events).containsExactly("assigned worker-b", "token 1 b1");
        assertThat(streams.demux.registered()).isEqualTo(1);
        assertThat(first.stream.isOpen()).as("our FIN (an embedded channel: closed)").isFalse();
        assertThat(second.stream.isOpen()).isTrue();
        assertThat(first.quic.handler().settled()).isTrue();
        assertThat(streams.passedOn).as("tagged frames stop at the demux").isEmpty();
        for (ByteBuf frame : sent) {
            assertThat(frame.release()).as("released by the client").isTrue();
        }

        streams.tagged(4, new Token(3, " late")).release();
        assertThat(first.events.events).hasSize(4);
        assertThat(first.events.finals()).isEqualTo(1);
    }

    @Test
    void framesReachTheirLegOnTheClientsOwnTokenStreamAndOnTheControlStreamAlike() {
        TokenStreams.Leg leg = streams.open(4, ASKING);

        // a director sends on the client's own token stream; one that read a GENERATE before that stream's first
        // frame (or an older one) on the control stream: the legs take both
        streams.taggedOnOwn(4, connected("worker-a")).release();
        streams.tagged(4, new Token(1, " a1")).release();
        streams.taggedOnOwn(4, new Token(2, " a2")).release();
        streams.taggedOnOwn(4, new End("gen-1", 2, "length", new Usage(1, 2))).release();

        assertThat(leg.events.events).containsExactly("assigned worker-a", "token 1 a1", "token 2 a2", "ended 2");
        assertThat(streams.demux.registered()).isZero();
        assertThat(streams.passedOn).isEmpty();
    }

    @Test
    void aMalformedTaggedFrameIsReportedOnceWhicheverStreamsItComesOn() {
        streams.open(4, ASKING);
        ByteBuf onControl = streams.raw(Unpooled.buffer().writeByte(FrameType.TAGGED.code()).writeInt(3)
                .writeBytes(new byte[3]));
        ByteBuf onOwn = Unpooled.buffer().writeByte(FrameType.TAGGED.code()).writeInt(3).writeBytes(new byte[3]);
        streams.own.writeInbound(onOwn.retain());

        assertThat(streams.malformed).as("the connection closes once").singleElement().asString()
                .contains("shorter than a stream id");
        assertThat(onControl.release()).isTrue();
        assertThat(onOwn.release()).isTrue();
    }

    @Test
    void retryAndErrorComeOnTheTokenStreamToo() {
        TokenStreams.Leg swapped = streams.open(4, ASKING);
        TokenStreams.Leg refused = streams.open(8, ASKING);

        streams.tagged(4, new Retry("health", 0, "worker-a", "gone")).release();
        streams.tagged(8, new StreamError(ErrorCode.MODEL_NOT_FOUND, "no such model")).release();

        assertThat(swapped.events.events).containsExactly("retry health");
        assertThat(refused.events.events).containsExactly("refused MODEL_NOT_FOUND");
        assertThat(streams.demux.registered()).isZero();
    }

    @Test
    void aFrameForAStreamNoLegHoldsIsDroppedAndReleased() {
        TokenStreams.Leg leg = streams.open(4, ASKING);

        ByteBuf unknown = streams.tagged(12, new Token(1, " x"));

        assertThat(unknown.refCnt()).as("only the test's reference is left").isEqualTo(1);
        assertThat(unknown.release()).isTrue();
        assertThat(leg.events.events).isEmpty();
        assertThat(streams.malformed).isEmpty();
        assertThat(streams.passedOn).isEmpty();
    }

    @Test
    void otherFramesOnTheControlStreamPassOn() {
        streams.control.writeInbound(MessageCodec.encode(TokenStreams.ALLOC, new Heartbeat(7)));

        assertThat(streams.passedOn).containsExactly(new Heartbeat(7));
    }

    @Test
    void aMalformedTaggedFrameIsReportedOnceAndNothingAfterItIsRouted() {
        TokenStreams.Leg leg = streams.open(4, ASKING);
        // a TAGGED frame carrying a GENERATE: not a frame a director relays
        ByteBuf wrongType = streams.raw(TaggedFrames.wrap(TokenStreams.ALLOC, 4,
                MessageCodec.encode(TokenStreams.ALLOC, ASKING)));

        assertThat(streams.malformed).singleElement().asString().contains("malformed TAGGED frame", "GENERATE");
        assertThat(wrongType.release()).isTrue();

        ByteBuf tooShort = streams.raw(Unpooled.buffer().writeByte(FrameType.TAGGED.code()).writeInt(3)
                .writeBytes(new byte[3]));
        ByteBuf valid = streams.tagged(4, connected("worker-a"));

        assertThat(streams.malformed).as("the connection is closing: reported once").hasSize(1);
        assertThat(leg.events.events).isEmpty();
        assertThat(tooShort.release()).isTrue();
        assertThat(valid.release()).isTrue();
    }

    @Test
    void aStreamIdTooShortIsMalformed() {
        ByteBuf tooShort = streams.raw(Unpooled.buffer().writeByte(FrameType.TAGGED.code()).writeInt(3)
                .writeBytes(new byte[3]));

        assertThat(streams.malformed).singleElement().asString().contains("shorter than a stream id");
        assertThat(tooShort.release()).isTrue();
    }

    @Test
    void aTaggedFrameWhoseContentDoesNotDecodeBreaksOnlyItsLeg() {
        TokenStreams.Leg bad = streams.open(4, ASKING);
        TokenStreams.Leg other = streams.open(8, ASKING);
        byte[] json = "{".getBytes(StandardCharsets.UTF_8);
        ByteBuf connected = Unpooled.buffer().writeByte(FrameType.CONNECTED.code()).writeInt(json.length)
                .writeBytes(json);

        ByteBuf sent = streams.raw(TaggedFrames.wrap(TokenStreams.ALLOC, 4, connected));
        streams.tagged(8, new Token(1, " b1")).release();

        assertThat(bad.events.events).singleElement().asString().startsWith("broken bad frame from director");
        assertThat(bad.stream.isOpen()).isFalse();
        assertThat(other.events.events).containsExactly("token 1 b1");
        assertThat(streams.malformed).isEmpty();
        assertThat(streams.demux.registered()).isEqualTo(1);
        assertThat(sent.release()).isTrue();
    }

    @Test
    void aLegAnsweredOnItsOwnStreamWorksAsBeforeAndUnregistersWhenDone() {
        TokenStreams.Leg leg = streams.open(4, ASKING);

        leg.onStream(connected("worker-a"));
        leg.onStream(new Token(1, " a1"));
        leg.onStream(new End("gen-1", 1, "length", null));

        assertThat(leg.events.events).containsExactly("assigned worker-a", "token 1 a1", "ended 1");
        assertThat(streams.demux.registered()).isZero();
        assertThat(leg.quic.handler().onTokenStream()).isFalse();
    }

    @Test
    void aRefusalOnTheGenerationStreamEndsALegThatAskedForTheTokenStream() {
        TokenStreams.Leg leg = streams.open(4, ASKING);

        leg.onStream(new StreamError(ErrorCode.NO_HEALTHY_WORKER, "none"));
        streams.tagged(4, connected("worker-a")).release();

        assertThat(leg.events.events).containsExactly("refused NO_HEALTHY_WORKER");
        assertThat(streams.demux.registered()).isZero();
    }

    @Test
    void aLegThatDidNotAskIsNotRegistered() {
        TokenStreams.Leg leg = streams.open(4, ASKING.withTokenStream(false));

        streams.tagged(4, connected("worker-a")).release();

        assertThat(streams.demux.registered()).isZero();
        assertThat(leg.events.events).isEmpty();
    }

    @Test
    void aCancelledLegIsUnregisteredAndHearsNothingMore() {
        TokenStreams.Leg leg = streams.open(4, ASKING);
        streams.tagged(4, connected("worker-a")).release();

        leg.quic.cancel();
        streams.tagged(4, new Token(1, " a1")).release();
        streams.tagged(4, new End("gen-1", 1, "length", null)).release();

        assertThat(leg.events.events).containsExactly("assigned worker-a");
        assertThat(streams.demux.registered()).isZero();
        assertThat(leg.stream.isOpen()).isFalse();
    }

    @Test
    void theGenerationStreamGoingAwayBreaksTheLegOnceAndUnregistersIt() {
        TokenStreams.Leg leg = streams.open(4, ASKING);
        streams.tagged(4, connected("worker-a")).release();

        leg.stream.close(); // as when the stream or the connection is gone
        streams.tagged(4, new End("gen-1", 0, "length", null)).release();

        assertThat(leg.events.events).containsExactly("assigned worker-a", "broken stream closed");
        assertThat(leg.events.finals()).isEqualTo(1);
        assertThat(streams.demux.registered()).isZero();
    }

    @Test
    void aLegCancelledBeforeItsStreamOpenedNeverRegistersNorSendsItsRequest() {
        TokenStreams.RecordingEvents events = new TokenStreams.RecordingEvents();
        QuicLeg leg = new QuicLeg(events);
        leg.cancel();
        EmbeddedChannel stream = new EmbeddedChannel();
        StreamPipelines.messages(stream, TokenStreams.LIMITS, leg.handler());

        leg.opened(stream, 4, ASKING, streams.demux);

        assertThat(streams.demux.registered()).isZero();
        assertThat(TokenStreams.written(stream)).isEmpty();
        assertThat(events.events).isEmpty();
    }
}
