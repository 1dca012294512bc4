package io.connectionswap.director.registry;

import io.connectionswap.protocol.frame.RawFrame;
import io.netty.channel.EventLoop;

/**
 * Where the frames a worker sends on a link connection's token stream go ({@code TokenStreamRouter}): to the relay
 * session of their stream id, on the routing loop that reads them (the loop of that session).
 */
@FunctionalInterface
public interface WorkerFrames {

    /** One whole frame of the generation relayed as {@code streamId}, sent by {@code worker}; released here. */
    void fromWorker(WorkerEndpoint worker, long streamId, RawFrame frame);

    /** The frames read on {@code loop}'s streams: looked up once per token stream, not once per token. */
    default WorkerFrames on(EventLoop loop) {
        return this;
    }
}
