package io.connectionswap.protocol.fuzz;

import static io.connectionswap.protocol.fuzz.FuzzChecks.check;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.frame.Frames;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.testsupport.netty.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The frame decoder on arbitrary bytes, cut into arbitrary chunks, under arbitrary (mostly small) limits. Whatever
 * arrives: the frames that come out are exactly those a straightforward reading of the whole byte string finds before
 * its first problem; at most one error comes out, a {@link ProtocolException} with the code of that problem; nothing
 * comes out after it; every buffer is released.
 *
 * <p>Runs on the inputs in {@code FrameDecoderFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes it (see the
 * README, "Fuzzing").
 */
class FrameDecoderFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void decodesAnyBytesInAnyChunking(FuzzedDataProvider data) {
        FrameLimits limits = limits(data);
        boolean inputShutdownFirst = data.consumeBoolean();
        TrackingAllocator alloc = new TrackingAllocator();
        Outcome outcome = new Outcome();
        FrameDecoder decoder = new FrameDecoder(limits);
        EmbeddedChannel channel = new EmbeddedChannel(decoder, outcome);
        channel.config().setAllocator(alloc);

        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        while (data.remainingBytes() > 0) {
            byte[] chunk = data.consumeBytes(data.consumeInt(0, 64));
            sent.writeBytes(chunk);
            channel.writeInbound(alloc.buffer(chunk.length).writeBytes(chunk));
        }
        if (inputShutdownFirst) {
            // the peer's FIN on a half-closed QUIC stream, before the channel closes
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        channel.finishAndReleaseAll();

        Expected expected = Expected.read(sent.toByteArray(), limits);
        check(outcome.frames.size() == expected.frames.size(), "frames decoded", outcome.frames.size(),
                expected.frames.size());
        for (int i = 0; i < expected.frames.size(); i++) {
            check(Arrays.equals(outcome.frames.get(i), expected.frames.get(i)), "frame " + i + " bytes");
            check(outcome.types.get(i) == FrameType.fromCode(expected.frames.get(i)[0] & 0xff), "frame " + i + " type");
        }
        check(outcome.errors.size() <= 1, "at most one error per stream", outcome.errors);
        if (expected.error == null) {
            check(outcome.errors.isEmpty(), "no error on well-formed input", outcome.errors);
        } else {
            check(outcome.errors.size() == 1, "the error of the first problem", expected.error, outcome.errors);
            Throwable error = outcome.errors.get(0);
            check(error instanceof ProtocolException, "only ProtocolExceptions come out", error);
            check(((ProtocolException) error).errorCode() == expected.error, "error code", expected.error, error);
            check(error.getMessage() != null && !error.getMessage().isBlank(), "error says what was wrong");
        }
        check(decoder.failed() == (expected.error != null), "failed() tells whether the stream ended in an error");
        FuzzChecks.noLeak(alloc);
    }

    /** Small limits most of the time (so a short input can exceed them), the real defaults otherwise. */
    private static FrameLimits limits(FuzzedDataProvider data) {
        if (data.consumeInt(0, 7) == 0) {
            return FrameLimits.DEFAULTS;
        }
        int maxFrame = data.consumeInt(1, 48);
        return new FrameLimits(maxFrame, data.consumeInt(maxFrame, 160));
    }

    /** What the decoder handed on: copies of the frames (released at once) and the errors. */
    private static final class Outcome extends ChannelInboundHandlerAdapter {
        final List<byte[]> frames = new ArrayList<>();
        final List<FrameType> types = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                check(errors.isEmpty(), "nothing after an error", msg);
                check(msg instanceof RawFrame, "only RawFrames come out", msg);
                RawFrame frame = (RawFrame) msg;
                types.add(frame.type());
                frames.add(ByteBufUtil.getBytes(frame.content()));
                ByteBuf payload = frame.payload();
                check(payload.readableBytes() == frame.content().getUnsignedInt(frame.content().readerIndex() + 1),
                        "payload view matches the length field");
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    /** The reference reading of a whole byte string: frames up to the first problem, and that problem. */
    private record Expected(List<byte[]> frames, ErrorCode error) {

        static Expected read(byte[] bytes, FrameLimits limits) {
            List<byte[]> frames = new ArrayList<>();
            int at = 0;
            while (at < bytes.length) {
                FrameType type = FrameType.fromCode(bytes[at] & 0xff);
                if (type == null) {
                    return new Expected(frames, ErrorCode.UNKNOWN_FRAME_TYPE);
                }
                if (bytes.length - at < Frames.HEADER_BYTES) {
                    return new Expected(frames, ErrorCode.TRUNCATED_FRAME);
                }
                long length = ((bytes[at + 1] & 0xffL) << 24) | ((bytes[at + 2] & 0xffL) << 16)
                        | ((bytes[at + 3] & 0xffL) << 8) | (bytes[at + 4] & 0xffL);
                if (length > limits.limitFor(type)) {
                    return new Expected(frames, type.carriesRequest() ? ErrorCode.REQUEST_TOO_LARGE
                            : ErrorCode.FRAME_TOO_LARGE);
                }
                if (bytes.length - at < Frames.HEADER_BYTES + length) {
                    return new Expected(frames, ErrorCode.TRUNCATED_FRAME);
                }
                int end = at + Frames.HEADER_BYTES + (int) length;
                frames.add(Arrays.copyOfRange(bytes, at, end));
                at = end;
            }
            return new Expected(frames, null);
        }
    }
}
