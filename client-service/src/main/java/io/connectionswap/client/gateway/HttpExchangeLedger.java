package io.connectionswap.client.gateway;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import reactor.netty.NettyPipeline;

/**
 * Where an HTTP/1.1 connection stands: how many requests' heads and ends have been read, and how many answers have
 * begun and ended (a 1xx such as {@code 100 Continue} is not an answer). Answers go out in the order of the requests,
 * so request number {@code n} (from 0) is answered once {@code answersStarted() > n}.
 *
 * <p>One per connection, behind {@link MalformedRequests} (which sits right behind the codec), so it counts only what
 * was decoded and passed on; the handlers that need the counts ({@link MalformedRequests},
 * {@link RequestBodyDeadline}) read them here instead of each counting every message. A handler behind it reads
 * counts that already include the message it is reading, and the answer it has just written once its
 * {@code ctx.write} returns.
 */
final class HttpExchangeLedger extends ChannelDuplexHandler {

    static final String NAME = "connectionSwap.httpExchangeLedger";

    private long heads;
    private long ends;
    private long answersStarted;
    private long answers;

    private HttpExchangeLedger() {
    }

    /**
     * The ledger of {@code pipeline}'s connection: the one installed, or a new one put right behind the HTTP/1.1
     * codec; null for a pipeline without that codec.
     */
    static HttpExchangeLedger of(ChannelPipeline pipeline) {
        HttpExchangeLedger installed = pipeline.get(HttpExchangeLedger.class);
        if (installed != null || pipeline.get(NettyPipeline.HttpCodec) == null) {
            return installed;
        }
        HttpExchangeLedger ledger = new HttpExchangeLedger();
        pipeline.addAfter(NettyPipeline.HttpCodec, NAME, ledger);
        return ledger;
    }

    /** Request heads read. */
    long heads() {
        return heads;
    }

    /** Requests read whole (a request without a body ends with its head). */
    long ends() {
        return ends;
    }

    /** Answers whose head has been written. */
    long answersStarted() {
        return answersStarted;
    }

    /** Answers written whole. */
    long answers() {
        return answers;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            heads++;
        }
        if (msg instanceof LastHttpContent) { // a request without a body has an empty one
            ends++;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!isInterim(msg)) {
            if (msg instanceof HttpResponse) {
                answersStarted++;
            }
            if (msg instanceof LastHttpContent) {
                answers++;
            }
        }
        ctx.write(msg, promise);
    }

    /** A 1xx answer ({@code 100 Continue}) is not the request's answer. */
    private static boolean isInterim(Object msg) {
        return msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }
}
