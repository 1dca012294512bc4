package io.connectionswap.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.Heartbeat;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The token stream's frames: a generation's frame wrapped with its stream id, read back whole, and bad ones refused. */
class TaggedFramesTest {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void aWrappedTokenComesBackAsTheSameFrameWithItsStreamId() {
        ByteBuf token = MessageCodec.encodeToken(ALLOC, 7, " héllo");
        byte[] original = new byte[token.readableBytes()];
        token.getBytes(token.readerIndex(), original);

        RawFrame tagged = decodeOne(TaggedFrames.wrap(ALLOC, 42L, token));
        assertThat(token.refCnt()).as("the wrapped frame is released").isZero();
        assertThat(tagged.type()).isEqualTo(FrameType.TAGGED);
        assertThat(TaggedFrames.streamId(tagged)).isEqualTo(42L);

        RawFrame inner = TaggedFrames.inner(tagged, TaggedFrames.FROM_WORKER);
        tagged.release();
        byte[] relayed = new byte[inner.content().readableBytes()];
        inner.content().getBytes(inner.content().readerIndex(), relayed);
        assertThat(relayed).as("relayed byte for byte").isEqualTo(original);
        assertThat(inner.tokenSequence()).isEqualTo(7);
        assertThat(((Token) MessageCodec.decode(inner)).text()).isEqualTo(" héllo");
        inner.release();
        assertThat(inner.refCnt()).isZero();
    }

    @Test
    void endAndConnectedTravelTaggedToo() {
        End end = new End("g-1", 12, FinishReason.LENGTH.wire(), null);
        RawFrame tagged = decodeOne(TaggedFrames.wrap(ALLOC, Long.MAX_VALUE, MessageCodec.encode(ALLOC, end)));
        RawFrame inner = TaggedFrames.inner(tagged, TaggedFrames.FROM_WORKER);
        assertThat(TaggedFrames.streamId(tagged)).isEqualTo(Long.MAX_VALUE);
        assertThat(MessageCodec.decode(inner)).isEqualTo(end);
        inner.release();
        tagged.release();
    }

    @Test
    void onlyCompleteGenerationFramesMayBeCarried() {
        RawFrame heartbeat = decodeOne(TaggedFrames.wrap(ALLOC, 1L, MessageCodec.encode(ALLOC, new Heartbeat(5))));
        assertThatThrownBy(() -> TaggedFrames.inner(heartbeat, TaggedFrames.FROM_WORKER)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("inner frame of type HEARTBEAT");
        heartbeat.release();

        ByteBuf cut = MessageCodec.encodeToken(ALLOC, 1, "abc");
        cut.writerIndex(cut.writerIndex() - 1); // the inner frame says 7 payload bytes, carries 6
        RawFrame shortened = decodeOne(TaggedFrames.wrap(ALLOC, 1L, cut));
        assertThatThrownBy(() -> TaggedFrames.inner(shortened, TaggedFrames.FROM_WORKER)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("says 7 payload bytes, carries 6")
                .satisfies(e -> assertThat(((ProtocolException) e).errorCode()).isEqualTo(ErrorCode.MALFORMED_MESSAGE));
        shortened.release();

        ByteBuf noId = ALLOC.buffer().writeByte(FrameType.TAGGED.code()).writeInt(3).writeMedium(0);
        RawFrame idless = decodeOne(noId);
        assertThatThrownBy(() -> TaggedFrames.streamId(idless)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("shorter than a stream id");
        idless.release();
    }

    @Test
    void aClientTokenStreamCarriesTheDirectorsFinalFramesTooAndAWorkersDoesNot() {
        Retry retry = new Retry("stall", 7, "worker-a", "no token for 300 ms");
        RawFrame tagged = decodeOne(TaggedFrames.wrap(ALLOC, 12L, MessageCodec.encode(ALLOC, retry)));
        RawFrame inner = TaggedFrames.inner(tagged, TaggedFrames.FROM_DIRECTOR);
        assertThat(TaggedFrames.streamId(tagged)).isEqualTo(12L);
        assertThat(MessageCodec.decode(inner)).isEqualTo(retry);
        inner.release();
        assertThatThrownBy(() -> TaggedFrames.inner(tagged, TaggedFrames.FROM_WORKER))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("inner frame of type RETRY");
        tagged.release();

        StreamError error = new StreamError(ErrorCode.MIGRATION_LIMIT, "moved 3 times");
        RawFrame taggedError = decodeOne(TaggedFrames.wrap(ALLOC, 4L, MessageCodec.encode(ALLOC, error)));
        RawFrame innerError = TaggedFrames.inner(taggedError, TaggedFrames.FROM_DIRECTOR);
        assertThat(MessageCodec.decode(innerError)).isEqualTo(error);
        innerError.release();
        taggedError.release();
    }

    @Test
    void aGenerateAsksForTheClientTokenStreamAndOneFromAnOlderClientDoesNot() {
        GenerationRequest asking = GenerationRequest.completion("g-1", "hi", 5).withTokenStream(true);
        RawFrame frame = decodeOne(MessageCodec.encode(ALLOC, asking));
        GenerationRequest decoded = (GenerationRequest) MessageCodec.decode(frame);
        frame.release();
        assertThat(decoded.tokenStream()).isTrue();
        assertThat(decoded.resumedAfter(2, "ab", "w").tokenStream()).isTrue();
        assertThat(decoded.withTraceparent(null).tokenStream()).isTrue();

        String older = "{\"generationId\":\"g-2\",\"prompt\":\"hi\",\"sampling\":{\"maxTokens\":5},"
                + "\"resumeAfter\":0,\"migrations\":0}";
        ByteBuf json = Unpooled.buffer().writeByte(FrameType.GENERATE.code()).writeInt(older.length())
                .writeBytes(older.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        RawFrame olderFrame = decodeOne(json);
        GenerationRequest fromOlder = (GenerationRequest) MessageCodec.decode(olderFrame);
        olderFrame.release();
        assertThat(fromOlder.tokenStream()).isFalse();
    }

    @Test
    void aTaggedFrameMayCarryTheLargestFrameAndNotMore() {
        FrameLimits limits = FrameLimits.uniform(64);
        assertThat(limits.limitFor(FrameType.TAGGED)).isEqualTo(64 + TaggedFrames.TAG_BYTES + Frames.HEADER_BYTES);
    }

    @Test
    void theTokenStreamMessageAndTheFeatureRoundTrip() {
        RawFrame frame = decodeOne(MessageCodec.encode(ALLOC, new TokenStream(TokenStream.VERSION)));
        assertThat(MessageCodec.decode(frame)).isEqualTo(new TokenStream(1));
        frame.release();

        WorkerRegistration withFeature = new WorkerRegistration("w", "127.0.0.1:1", "http://127.0.0.1:2/h", 0, "i",
                List.of(), List.of(WorkerRegistration.TOKEN_STREAM));
        RawFrame registration = decodeOne(MessageCodec.encode(ALLOC, withFeature));
        Message decoded = MessageCodec.decode(registration);
        registration.release();
        assertThat(((WorkerRegistration) decoded).supports(WorkerRegistration.TOKEN_STREAM)).isTrue();

        // an older worker's registration has no features: it speaks the base protocol
        String older = "{\"label\":\"w\",\"address\":\"127.0.0.1:1\",\"healthUrl\":\"http://127.0.0.1:2/h\","
                + "\"tokenIntervalMillis\":0,\"instanceId\":\"i\"}";
        ByteBuf json = Unpooled.buffer().writeByte(FrameType.REGISTER.code()).writeInt(older.length())
                .writeBytes(older.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        RawFrame olderFrame = decodeOne(json);
        WorkerRegistration fromOlder = (WorkerRegistration) MessageCodec.decode(olderFrame);
        olderFrame.release();
        assertThat(fromOlder.features()).isEmpty();
        assertThat(fromOlder.supports(WorkerRegistration.TOKEN_STREAM)).isFalse();
    }

    @Test
    void aTaggedFrameElsewhereIsAnUnexpectedMessage() {
        RawFrame tagged = decodeOne(TaggedFrames.wrap(ALLOC, 3L, MessageCodec.encodeToken(ALLOC, 1, "x")));
        assertThatThrownBy(() -> MessageCodec.decode(tagged)).isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).errorCode()).isEqualTo(ErrorCode.UNEXPECTED_MESSAGE));
        tagged.release();
    }

    /** Runs {@code bytes} through the frame decoder, as a stream does, and returns the one frame it makes. */
    private static RawFrame decodeOne(ByteBuf bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(FrameLimits.DEFAULTS));
        channel.writeInbound(bytes);
        RawFrame frame = channel.readInbound();
        assertThat(frame).isNotNull();
        assertThat((Object) channel.readInbound()).isNull();
        channel.finishAndReleaseAll();
        return frame;
    }
}
