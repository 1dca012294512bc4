package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.InvalidRegistrationException;
import io.connectionswap.director.registry.WorkerCertificate;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.Drain;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.RegistrationAck;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.Peers;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's registration stream: REGISTER (only from a peer holding the worker certificate), then DRAIN when
 * the worker shuts down. Heartbeats on it are answered before they get here. The stream may live on any routing
 * loop; the registration is made on the registry's loop and answered back on the stream's.
 */
final class RegistrationStreamHandler extends SimpleChannelInboundHandler<Message> {

    private static final Logger log = LoggerFactory.getLogger(RegistrationStreamHandler.class);

    private final WorkerRegistry registry;
    private final String directorId;
    private final DirectorMeters meters;
    /** The registered worker, once the registry answered (stream's loop). */
    private WorkerEndpoint worker;
    private boolean registering;
    /** A DRAIN that arrived while the registry was registering the worker (stream's loop). */
    private String drainWhenRegistered;

    RegistrationStreamHandler(WorkerRegistry registry, String directorId, DirectorMeters meters) {
        this.meters = meters;
        this.registry = registry;
        this.directorId = directorId;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (message instanceof WorkerRegistration registration) {
            if (!WorkerCertificate.presentedBy(ctx.channel())) {
                throw new ProtocolException(ErrorCode.PEER_NOT_ALLOWED, "only a peer with the worker certificate may "
                        + "register; this peer presented " + WorkerCertificate.presentedInstead(ctx.channel()));
            }
            if (registering || worker != null) {
                throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE, "a registration stream registers one "
                        + "worker; this one has registered " + (worker == null ? "one already" : worker.label()));
            }
            registering = true;
            if (registry.loop().inEventLoop()) {
                register(ctx, registration);
            } else {
                registry.loop().execute(() -> register(ctx, registration));
            }
        } else if (message instanceof Drain drain && worker != null) {
            registry.drain(worker, drain.reason());
        } else if (message instanceof Drain drain && registering) {
            drainWhenRegistered = drain.reason();
        } else {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "unexpected " + message.frameType() + " frame on a registration stream");
        }
    }

    /** On the registry's loop; the outcome goes back to the stream's. */
    private void register(ChannelHandlerContext ctx, WorkerRegistration registration) {
        WorkerEndpoint registered;
        try {
            registered = registry.register(registration);
        } catch (InvalidRegistrationException e) {
            meters.registrationRefused();
            LogLine.warn(log).field("peer", Peers.address(ctx.channel())).field("worker.label", e.label())
                    .quoted("problem", e.getMessage())
                    .log("refused worker registration; other workers are not affected");
            StreamError refused = new StreamError(ErrorCode.BAD_REQUEST, "registration refused: " + e.getMessage());
            onStreamLoop(ctx, () -> { // the line above says it all: no "ended stream after bad input" line too
                registering = false;
                StreamFailures.endStream(ctx.channel(), refused);
            });
            return;
        }
        int known = registry.size();
        onStreamLoop(ctx, () -> registered(ctx, registered, known));
    }

    private void registered(ChannelHandlerContext ctx, WorkerEndpoint registered, int known) {
        registering = false;
        worker = registered;
        if (!ctx.channel().isActive()) {
            registry.registrationClosed(registered); // closed while the registry was at it
            return;
        }
        ctx.writeAndFlush(new RegistrationAck(directorId, known));
        if (drainWhenRegistered != null) {
            registry.drain(registered, drainWhenRegistered);
        }
    }

    private static void onStreamLoop(ChannelHandlerContext ctx, Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (worker != null) {
            registry.registrationClosed(worker);
            LogLine.debug(log).field("worker.addr", worker.address()).field("worker.label", worker.label())
                    .log("registration stream closed");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof QuicStreamResetException) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel());
            return;
        }
        // one WARN per connection and error code (BadStreams): any client can open stream after stream with REGISTER
        BadStreams.end(ctx.channel(), log, cause);
    }
}
