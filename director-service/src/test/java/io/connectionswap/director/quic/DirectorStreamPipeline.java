package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.codec.MessageDecoder;
import io.connectionswap.protocol.frame.FrameBudget;
import io.connectionswap.protocol.frame.FrameDecoder;
import io.connectionswap.protocol.frame.FrameLimits;
import io.connectionswap.protocol.quic.Heartbeats;
import io.netty.channel.Channel;

/**
 * A client stream's pipeline as the director's QUIC server sets it up (frame decoder, message decoder, the control
 * stream marker, the heartbeat responder, {@link FirstMessageRouter}), without the message encoder: what the director
 * sends is read back as messages. For the tests that drive the director's stream handling on embedded streams.
 */
final class DirectorStreamPipeline {

    private DirectorStreamPipeline() {
    }

    /** Sets up {@code stream}'s pipeline; {@code relay} and {@code registry} may be null where no GENERATE gets far. */
    static void install(Channel stream, FrameLimits limits, Relay relay, WorkerRegistry registry, String directorId,
                        DirectorMeters meters) {
        install(stream, limits, FrameBudget.UNLIMITED, relay, registry, directorId, meters);
    }

    /** As above, the incomplete frames held within {@code budget} (a client connection's, {@link PendingRequestBytes}). */
    static void install(Channel stream, FrameLimits limits, FrameBudget budget, Relay relay, WorkerRegistry registry,
                        String directorId, DirectorMeters meters) {
        stream.pipeline().addLast(new FrameDecoder(limits, budget), MessageDecoder.INSTANCE,
                ControlStreams.marker(found -> { }), Heartbeats.responder(),
                new FirstMessageRouter(relay, registry, directorId, meters));
    }
}
