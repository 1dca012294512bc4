package io.connectionswap.director.relay;

import io.connectionswap.protocol.codec.MessageCodec;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.frame.RawFrame;
import io.connectionswap.protocol.log.RepeatedProblems;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/** A client side that records what the session did to it. */
final class FakeClient implements ClientSide {
    final List<ByteBuf> relayed = new ArrayList<>();
    Retry retry;
    StreamError error;
    ErrorCode aborted;
    boolean finished;
    boolean writable = true;
    /** The client's PAUSE, as on a generation served on the client token stream. */
    boolean paused;

    @Override
    public boolean isActive() {
        return true;
    }

    @Override
    public boolean isWritable() {
        return writable && !paused;
    }

    @Override
    public boolean paused(boolean pause) {
        boolean changed = paused != pause;
        paused = pause;
        return changed;
    }

    @Override
    public void relay(ByteBuf frame) {
        relayed.add(frame);
    }

    @Override
    public void retry(Retry retry) {
        this.retry = retry;
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public void fail(StreamError error) {
        this.error = error;
        finished = true;
    }

    @Override
    public void abort(ErrorCode code) {
        aborted = code;
    }

    List<Message> decoded() {
        List<Message> messages = new ArrayList<>();
        for (ByteBuf buf : relayed) {
            EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(FrameLimits.uniform(1024)));
            decoder.writeInbound(buf.retainedDuplicate());
            RawFrame frame = decoder.readInbound();
            messages.add(MessageCodec.decode(frame));
            frame.release();
            decoder.finish();
        }
        return messages;
    }

    /** Every problem of this client is the first of its connection: a WARN. */
    @Override
    public RepeatedProblems.Occurrence problem(Logger log, Object kind) {
        return new RepeatedProblems.Occurrence(true, 0, Level.WARN);
    }
}
