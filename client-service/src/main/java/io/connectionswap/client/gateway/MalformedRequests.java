package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.NettyPipeline;

/**
 * A request the HTTP codec could not decode ends here, with OpenAI's error JSON and one INFO line, and its connection
 * closes (the codec reads nothing more on it). Left to reactor-netty, such a request got an empty 400, 414 or 431 and
 * a WARN "Decoding failed" spread over several lines with the peer's request line and header names; a body whose
 * chunk framing broke got reactor-netty's 400 and then, from the request reading that body, an ERROR with a long
 * stack trace ("Status and headers already sent"): one per request a peer chose to send.
 * <ul>
 *   <li>a head that does not decode (not HTTP, a header line without a colon, two Content-Lengths, a line or
 *       headers over their limits): 400, 414 or 431 ({@link GatewayError#malformedHttp}); a request target that is
 *       no URI (a bad {@code %} escape, a control character), which Spring answered with an empty 400 and no line:
 *       400 ({@link GatewayError#malformedUrl}); a head of HTTP/2 without
 *       TLS (prior knowledge): 505; each after the answers to the requests before it on the connection, as HTTP/1.1
 *       orders them;</li>
 *   <li>a body that does not decode: the same 400 while its request is unanswered (the request then sees its
 *       connection close, an INFO line); after its answer has begun, just the close;</li>
 *   <li>a head cut off by the connection's close (the idle timeout, or a peer leaving half-way through its headers):
 *       nothing to answer, one INFO line.</li>
 * </ul>
 *
 * <p>One per HTTP/1.1 connection, right behind the HTTP codec, so the handlers behind it (the connection's
 * {@link HttpExchangeLedger} first) see only decoded requests.
 */
final class MalformedRequests extends ChannelDuplexHandler {

    static final String NAME = "connectionSwap.malformedRequests";

    private static final Logger log = LoggerFactory.getLogger(MalformedRequests.class);

    /** The requests passed on and the answers written, counted behind this handler. */
    private final HttpExchangeLedger ledger;
    /** Takes the error code of each refusal (the meter). */
    private final Consumer<String> onRefused;
    /** A request was refused: nothing more is passed on, the connection closes after its answer. */
    private boolean refused;
    /** The answer to a malformed head pipelined behind a request still being answered. */
    private ClosingAnswer owed;

    private MalformedRequests(HttpExchangeLedger ledger, Consumer<String> onRefused) {
        this.ledger = ledger;
        this.onRefused = onRefused;
    }

    /**
     * Puts a new handler right behind the HTTP/1.1 codec of {@code pipeline}, ahead of the connection's
     * {@link HttpExchangeLedger}; a pipeline without that codec is left alone. {@code onRefused} takes the error code
     * of each request refused.
     */
    static void install(ChannelPipeline pipeline, Consumer<String> onRefused) {
        HttpExchangeLedger ledger = HttpExchangeLedger.of(pipeline);
        if (ledger != null) {
            pipeline.addAfter(NettyPipeline.HttpCodec, NAME, new MalformedRequests(ledger, onRefused));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg); // the rest of a refused request, or what followed it: the connection ends
            return;
        }
        boolean head = msg instanceof HttpRequest;
        GatewayError error = msg instanceof HttpObject decoded ? refusal(decoded) : null;
        if (error == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        Throwable cause = ((HttpObject) msg).decoderResult().cause();
        ReferenceCountUtil.release(msg);
        if (!ctx.channel().isActive()) {
            if (head && cause instanceof PrematureChannelClosureException) {
                LogLine.info(log).field("remote", ctx.channel().remoteAddress())
                        .log("http connection closed before its request head was whole");
            }
            return; // closed: nobody to answer
        }
        refused = true;
        onRefused.accept(error.code());
        LogLine.info(log).field("remote", ctx.channel().remoteAddress()).field("status", error.status().value())
                .field("code", error.code()).quoted("problem", error.getMessage())
                .log(head ? "gateway refused a malformed http request"
                        : "gateway refused a malformed http request body");
        // the ledger behind this handler has not counted what is refused here
        if (head && ledger.answers() < ledger.heads()) {
            owed = ClosingAnswer.of(error); // sent once the answers ahead of it are
        } else if (!head && ledger.answersStarted() >= ledger.heads()) {
            ctx.close(); // the body's request is already being answered: nothing can follow that answer
        } else {
            ClosingAnswer.of(error).writeAndClose(ctx);
        }
    }

    /**
     * The answer to what the codec decoded, or null to pass it on: a failed decode, or a head of another HTTP than
     * 1.x (the codec decodes HTTP/2's cleartext preface, {@code PRI * HTTP/2.0}, as a request).
     */
    private static GatewayError refusal(HttpObject decoded) {
        Throwable cause = decoded.decoderResult().cause();
        if (cause != null) {
            return GatewayError.malformedHttp(cause);
        }
        if (decoded instanceof HttpRequest request) {
            if (request.protocolVersion().majorVersion() != 1) {
                return GatewayError.httpVersionNotServed(request.protocolVersion().text());
            }
            String problem = targetProblem(request.uri());
            return problem == null ? null : GatewayError.malformedUrl(problem);
        }
        return null;
    }

    /**
     * Why Spring could not make a {@link URI} of the request target (it answers such a request with an empty 400 and
     * logs nothing above DEBUG), or null. The target is checked as Spring reads it: an origin-form path and query
     * behind a scheme and host, an absolute form as it is; {@code *} (OPTIONS) is left to the routes.
     */
    private static String targetProblem(String target) {
        if ("*".equals(target)) {
            return null;
        }
        String prefix = target.startsWith("/") ? "http://gateway" : "";
        try {
            new URI(prefix + target);
            return null;
        } catch (URISyntaxException e) {
            return e.getIndex() < 0 ? e.getReason()
                    : e.getReason() + " at character " + (e.getIndex() + 1 - prefix.length()) + " of the target";
        }
    }

    /** After an answer is written (and counted by the ledger behind): an owed refusal goes once its turn has come. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        if (owed != null && ledger.answers() >= ledger.heads()) {
            ClosingAnswer answer = owed;
            owed = null;
            answer.writeAndClose(ctx);
        }
    }
}
