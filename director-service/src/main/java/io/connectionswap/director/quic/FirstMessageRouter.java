package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.frame.ProtocolException;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.StatusRequest;
import io.connectionswap.protocol.message.TokenStream;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.protocol.quic.QuicStreams;
import io.connectionswap.protocol.quic.StreamFailures;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first message of a stream opened to the director says what the stream is: a GENERATE starts a client
 * stream, a REGISTER a worker's registration stream, a STATUS_REQUEST is answered with the workers the director
 * knows and the stream ends, and a TOKEN_STREAM makes the stream its client connection's client token stream
 * ({@link ControlStreams}; one per connection). This handler installs the right handler and steps aside.
 * (Heartbeats never reach it: the heartbeat responder before it consumes them.) On a client connection's control
 * stream ({@link ControlStreams}) every frame that reaches it is refused ({@link BadStreams#refuseFrame}): the stream
 * stays the connection's control stream, with its heartbeat echoes and its GOAWAY.
 */
final class FirstMessageRouter extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FirstMessageRouter.class);

    private final Relay relay;
    private final WorkerRegistry registry;
    private final String directorId;
    private final DirectorMeters meters;

    FirstMessageRouter(Relay relay, WorkerRegistry registry, String directorId, DirectorMeters meters) {
        this.meters = meters;
        this.relay = relay;
        this.registry = registry;
        this.directorId = directorId;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ctx.channel() instanceof QuicStreamChannel stream && ControlStreams.isControlStream(stream)) {
            String type = typeOf(msg);
            io.netty.util.ReferenceCountUtil.release(msg);
            // ending it would leave the connection without heartbeat echoes (its client then closes it) and GOAWAY
            BadStreams.refuseFrame(stream, log, new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE, type
                    + " on the control stream, which carries HEARTBEAT only (open a stream of its own for it); "
                    + "frame dropped"));
            return; // here still: the next frame is refused too
        }
        ChannelHandler next;
        if (msg instanceof StatusRequest) {
            ctx.pipeline().remove(this);
            ctx.writeAndFlush(new StatusResponder(registry, directorId).status());
            // our FIN queued behind the answer now, not once it is written: the linger then bounds its delivery too,
            // and a client that reads nothing of it (its window full, the write pending for good) is reset, released
            QuicStreams.finish((QuicStreamChannel) ctx.channel());
            return;
        }
        if (msg instanceof GenerationRequest) {
            next = new ClientStreamHandler(relay);
        } else if (msg instanceof WorkerRegistration) {
            next = new RegistrationStreamHandler(registry, directorId, meters);
        } else if (msg instanceof TokenStream tokens) {
            ctx.pipeline().addAfter(ctx.name(), null, clientTokenStream((QuicStreamChannel) ctx.channel(), tokens));
            ctx.pipeline().remove(this);
            return; // the TOKEN_STREAM message itself carries nothing more
        } else {
            String type = typeOf(msg);
            io.netty.util.ReferenceCountUtil.release(msg);
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE,
                    "expected GENERATE, REGISTER, STATUS_REQUEST or TOKEN_STREAM as the first frame of a stream, got "
                            + type);
        }
        ctx.pipeline().addAfter(ctx.name(), null, next);
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }

    private static String typeOf(Object msg) {
        return msg instanceof Message message ? message.frameType().toString() : msg.getClass().getSimpleName();
    }

    private static ChannelHandler clientTokenStream(QuicStreamChannel stream, TokenStream tokens) {
        if (tokens.version() != TokenStream.VERSION) { // ControlStreams did not take it for the connection's
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE, "client token stream version " + tokens.version()
                    + " (this director speaks " + TokenStream.VERSION + ")");
        }
        if (!ControlStreams.isClientTokenStream(stream)) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE, "TOKEN_STREAM on a stream that cannot be a "
                    + "client token stream (a worker's connection, or the connection has one already)");
        }
        LogLine.debug(log).field("connection.id", ConnectionIds.of(stream)).field("stream.id", stream.streamId())
                .log("client opened its token stream");
        return new ClientTokenStreamHandler();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            // the peer finished sending without saying anything useful (or after its STATUS_REQUEST): end ours too
            QuicStreams.finish((QuicStreamChannel) ctx.channel());
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.quic.QuicStreamResetException) {
            QuicStreams.peerReset((QuicStreamChannel) ctx.channel());
            return;
        }
        if (StreamFailures.codeOf(cause) == ErrorCode.REQUEST_TOO_LARGE) {
            meters.limitHit(DirectorMeters.Limit.REQUEST_SIZE);
        }
        BadStreams.end(ctx.channel(), log, cause);
    }
}
