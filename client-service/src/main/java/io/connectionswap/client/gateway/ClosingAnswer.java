package io.connectionswap.client.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * An error answer written by a handler right behind the HTTP codec, below reactor-netty's request handling, on a
 * connection that closes once it is sent: OpenAI's error JSON with {@code Connection: close}.
 * Built once per kind of answer; each write wraps the same bytes.
 */
final class ClosingAnswer {

    private final HttpResponseStatus status;
    private final byte[] json;

    private ClosingAnswer(HttpResponseStatus status, byte[] json) {
        this.status = status;
        this.json = json;
    }

    static ClosingAnswer of(GatewayError error) {
        return new ClosingAnswer(HttpResponseStatus.valueOf(error.status().value()),
                OpenAiResponses.error(error).toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Writes the answer from {@code ctx} (so it reaches only the codec) and closes the connection after it. */
    void writeAndClose(ChannelHandlerContext ctx) {
        ByteBuf body = Unpooled.wrappedBuffer(json);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
