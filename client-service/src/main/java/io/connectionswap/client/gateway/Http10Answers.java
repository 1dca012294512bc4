package io.connectionswap.client.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Answers an HTTP/1.0 request without chunked transfer coding, which an HTTP/1.0 recipient cannot read (RFC 9112
 * 7.1): a stream's body then runs until the connection closes, as HTTP/1.0 delimits it. Reactor Netty chunks every
 * answer of unknown length, so a 1.0 client (or a proxy speaking 1.0 to the gateway: nginx's default
 * {@code proxy_http_version}) read chunk sizes among the SSE lines. A 1.0 request that asks for
 * {@code Connection: keep-alive} (ApacheBench's {@code -k}, a 1.0 proxy keeping its connections) is told
 * {@code Connection: keep-alive} and keeps its connection after an answer of known length ({@code Content-Length});
 * reactor-netty itself closes one whose answer has neither a length nor chunks (a stream), with
 * {@code Connection: close}. Any other 1.0 request has its connection closed after the answer, as 1.0 does by
 * default. Before every other filter.
 */
final class Http10Answers implements WebFilter, Ordered {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        Object request = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (request instanceof HttpServerRequest netty && HttpVersion.HTTP_1_0.equals(netty.version())
                && ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse())
                        instanceof HttpServerResponse response) {
            response.chunkedTransfer(false);
            if (netty.isKeepAlive()) {
                // said outright: a 1.0 client keeps nothing it is not told (setting keepAlive(true) on reactor-netty's
                // HTTP/1.1 response object would add nothing)
                response.header(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            } else {
                response.keepAlive(false);
            }
        }
        return chain.filter(exchange);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
