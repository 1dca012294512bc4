package io.connectionswap.protocol.fuzz;

import static io.connectionswap.protocol.fuzz.FuzzChecks.check;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.frame.TaggedFrames;
import io.connectionswap.testsupport.netty.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;

/**
 * What the director reads from a worker's token stream: {@link TaggedFrames} on a TAGGED frame with an arbitrary
 * payload. The outcome is the payload's first 8 bytes as the stream id and the rest, byte for byte, as one whole
 * CONNECTED, TOKEN or END frame, or a {@link ProtocolException} with {@link ErrorCode#MALFORMED_MESSAGE}; never any
 * other exception, never a leaked buffer.
 *
 * <p>Runs on the inputs in {@code TaggedFramesFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes it (see
 * the README, "Fuzzing").
 */
class TaggedFramesFuzzTest {

    private static final Set<FrameType> CARRIED = Set.of(FrameType.CONNECTED, FrameType.TOKEN, FrameType.END);

    @FuzzTest(maxDuration = "20s")
    void readsAnyTaggedFrame(FuzzedDataProvider data) {
        byte[] payload = data.consumeRemainingAsBytes();
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf wire = alloc.buffer(Frames.HEADER_BYTES + payload.length).writeByte(FrameType.TAGGED.code())
                .writeInt(payload.length).writeBytes(payload);
        RawFrame tagged = new RawFrame(FrameType.TAGGED, wire);
        try {
            long streamId;
            RawFrame inner;
            try {
                streamId = TaggedFrames.streamId(tagged);
                inner = TaggedFrames.inner(tagged, TaggedFrames.FROM_WORKER);
            } catch (ProtocolException e) {
                check(e.errorCode() == ErrorCode.MALFORMED_MESSAGE, "bad tagged frames are MALFORMED_MESSAGE", e);
                check(e.getMessage() != null && e.getMessage().startsWith("malformed TAGGED frame: "),
                        "the error names the frame type", e.getMessage());
                return;
            }
            try {
                int tag = TaggedFrames.TAG_BYTES;
                check(payload.length >= tag + Frames.HEADER_BYTES, "accepted only with an id and a frame header");
                check(streamId == ByteBuffer.wrap(payload).getLong(), "the stream id is the first 8 bytes");
                byte[] carried = new byte[inner.content().readableBytes()];
                inner.content().getBytes(inner.content().readerIndex(), carried);
                check(Arrays.equals(carried, Arrays.copyOfRange(payload, tag, payload.length)),
                        "the inner frame is the rest of the payload, byte for byte");
                check(CARRIED.contains(inner.type()), "only CONNECTED, TOKEN or END is carried", inner.type());
                check(inner.type().code() == (payload[tag] & 0xff), "the inner frame's type is its first byte");
                check(ByteBuffer.wrap(payload, tag + 1, 4).getInt() == payload.length - tag - Frames.HEADER_BYTES,
                        "the inner frame's length is what it carries");
            } finally {
                inner.release();
            }
            check(tagged.refCnt() == 1, "reading does not release the tagged frame");
        } finally {
            tagged.release();
            FuzzChecks.noLeak(alloc);
        }
    }
}
