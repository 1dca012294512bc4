package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request's body must have arrived within the request timeout of the read that brought its head (for a request
 * pipelined behind others: of the answer to the one before it); otherwise its connection is closed. That holds
 * whether the gateway is reading the body or has already answered without it (413 on its {@code Content-Length}, 401,
 * 404): after an early answer reactor-netty reads and drops the body for as long as it keeps coming, with no limit of
 * size or time (its own request timeout stops counting then), so a peer could keep a loop busy with an endless body.
 * A body trickled a byte at a time, or cut off by a client that stays connected, ends the same way. A request not yet
 * answered gets a 408 with OpenAI's error JSON ({@code request_timeout}) and {@code Connection: close} first, so a
 * client sees why (the OpenAI SDKs retry a 408); an answered one is just closed. The head needs no
 * clock of its own: reactor-netty's idle timeout sits behind the HTTP codec, so the bytes of an unfinished head do not
 * restart it. A response is not limited: a stream runs as long as its generation.
 *
 * <p>One per HTTP/1.1 connection, right behind its {@link HttpExchangeLedger}, whose counts of requests read and
 * answers written it reads after each read and each write (responses answer requests in turn).
 */
final class RequestBodyDeadline extends ChannelDuplexHandler {

    static final String NAME = "connectionSwap.requestBodyDeadline";

    private static final Logger log = LoggerFactory.getLogger(RequestBodyDeadline.class);

    private final long timeoutMillis;
    private final Runnable onExpired;
    /** The 408, the same for every connection. */
    private final ClosingAnswer timeoutAnswer;
    private final HttpExchangeLedger ledger;
    private ScheduledFuture<?> deadline;

    private RequestBodyDeadline(HttpExchangeLedger ledger, Duration timeout, ClosingAnswer timeoutAnswer,
            Runnable onExpired) {
        this.ledger = ledger;
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.timeoutAnswer = timeoutAnswer;
        this.onExpired = onExpired;
    }

    /**
     * Puts a new deadline behind the {@link HttpExchangeLedger} of {@code pipeline}; a pipeline without an HTTP/1.1
     * codec is left alone.
     * {@code timeoutAnswer} is the 408 ({@link #timeoutAnswer}, built once for every connection);
     * {@code onExpired} runs each time it closes the connection.
     */
    static void install(ChannelPipeline pipeline, Duration timeout, ClosingAnswer timeoutAnswer, Runnable onExpired) {
        HttpExchangeLedger ledger = HttpExchangeLedger.of(pipeline);
        if (ledger != null) {
            pipeline.addAfter(HttpExchangeLedger.NAME, NAME, new RequestBodyDeadline(ledger, timeout, timeoutAnswer,
                    onExpired));
        }
    }

    /** The 408 for {@code timeout}: OpenAI's error JSON, {@code request_timeout}. */
    static ClosingAnswer timeoutAnswer(Duration timeout) {
        return ClosingAnswer.of(GatewayError.requestTimeout(timeout));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) { // a request without a body has an empty one
            stop();
        }
        ctx.fireChannelRead(msg);
    }

    /** After a read: a request whose body did not come with its head gets its clock (most do come with it). */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelReadComplete();
    }

    /** After a write (counted by the ledger once it returns): an answer's end may start the next request's clock. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        arm(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    /**
     * Starts the clock of the first request whose body has not all arrived, once its head is in and every request
     * before it is answered (the server does not read a request pipelined behind a running answer).
     */
    private void arm(ChannelHandlerContext ctx) {
        long ends = ledger.ends();
        if (deadline == null && ledger.heads() > ends && ledger.answers() >= ends) {
            deadline = ctx.executor().schedule(() -> expire(ctx), timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void stop() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        onExpired.run();
        // the waiting request is number ends (from 0): answered once an answer to it has begun
        boolean answered = ledger.answersStarted() > ledger.ends();
        LogLine.info(log).field("remote", ctx.channel().remoteAddress()).field("waited.ms", timeoutMillis)
                .field("answered", answered)
                .log("gateway closed an http connection: a request body did not arrive within the request timeout");
        if (answered) {
            ctx.close();
        } else {
            // from here, not the channel's tail: it reaches only the codec, past reactor-netty's request handling
            timeoutAnswer.writeAndClose(ctx);
        }
    }
}
