package io.connectionswap.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

/** How a {@link FrameDecoder} holds its incomplete frames against a {@link FrameBudget}. */
class FrameBudgetTest {

    private static final FrameLimits LIMITS = new FrameLimits(1024, 4096);

    /**
     * A frame that arrives whole reserves nothing; one in parts holds what of it arrived (not its declared length)
     * until it completes; a small one (a heartbeat split in two reads) holds nothing.
     */
    @Test
    void anIncompleteFrameHoldsWhatOfItArrivedUntilItCompletes() {
        Budget budget = new Budget(10_000);
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMITS, budget));
        channel.writeInbound(frame(100, 100));
        assertThat(budget.reservations).isZero();
        releaseInbound(channel);

        channel.writeInbound(frame(3000, 10));
        assertThat(budget.held).as("a header and 10 bytes of a 3000-byte frame").isEqualTo(15);
        channel.writeInbound(Unpooled.buffer(1000).writeZero(1000));
        assertThat(budget.held).isEqualTo(1015);
        channel.writeInbound(Unpooled.buffer(1990).writeZero(1990));
        assertThat(budget.held).isZero();
        assertThat(budget.reservations).isEqualTo(2);
        releaseInbound(channel);

        int small = FrameDecoder.UNCHARGED_FRAME_BYTES - 5;
        channel.writeInbound(frame(small, 0));
        assertThat(budget.reservations).as("a frame of at most UNCHARGED_FRAME_BYTES is never charged").isEqualTo(2);
        channel.writeInbound(Unpooled.buffer(small).writeZero(small));
        assertThat(channel.<RawFrame>readInbound()).isNotNull().satisfies(ReferenceCountUtil::release);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    /** Bytes of a frame that do not fit: OVERLOADED, what was buffered freed at once, nothing held. */
    @Test
    void aFrameOverTheBudgetFailsTheStreamAndFreesWhatItSent() {
        Budget budget = new Budget(1000);
        FrameDecoder decoder = new FrameDecoder(LIMITS, budget);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.writeInbound(frame(3000, 10));
        assertThat(budget.held).isEqualTo(15);
        ByteBuf more = Unpooled.buffer(1000).writeZero(1000);
        assertThatThrownBy(() -> channel.writeInbound(more)).isInstanceOf(ProtocolException.class)
                .extracting(cause -> ((ProtocolException) cause).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
        assertThat(decoder.bufferedBytes()).isZero();
        assertThat(more.refCnt()).isZero();
        assertThat(budget.held).isZero();
        channel.finishAndReleaseAll();
    }

    /** The stream ends with a frame incomplete (closed, or the decoder removed): its bytes given back once. */
    @Test
    void anIncompleteFrameIsGivenBackOnceWhenTheStreamCloses() {
        Budget budget = new Budget(10_000);
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMITS, budget));
        channel.writeInbound(frame(3000, 10));
        assertThat(budget.held).isEqualTo(15);
        assertThatThrownBy(channel::finishAndReleaseAll).isInstanceOf(ProtocolException.class)
                .extracting(cause -> ((ProtocolException) cause).errorCode()).isEqualTo(ErrorCode.TRUNCATED_FRAME);
        assertThat(budget.held).isZero();
        assertThat(budget.releases).isEqualTo(1);
    }

    private static ByteBuf frame(int payload, int sent) {
        return Unpooled.buffer(5 + sent).writeByte(FrameType.GENERATE.code()).writeInt(payload).writeZero(sent);
    }

    private static void releaseInbound(EmbeddedChannel channel) {
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    private static final class Budget implements FrameBudget {
        private final long max;
        long held;
        int reservations;
        int releases;

        Budget(long max) {
            this.max = max;
        }

        @Override
        public void reserve(int bytes) {
            if (held + bytes > max) {
                throw new ProtocolException(ErrorCode.OVERLOADED, "over " + max);
            }
            held += bytes;
            reservations++;
        }

        @Override
        public void release(int bytes) {
            held -= bytes;
            releases++;
        }
    }
}
