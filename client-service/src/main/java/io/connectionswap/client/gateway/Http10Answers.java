package io.connectionswap.client.gateway;

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
 * {@code proxy_http_version}) read chunk sizes among the SSE lines. Before every other filter.
 */
final class Http10Answers implements WebFilter, Ordered {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        Object request = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (request instanceof HttpServerRequest netty && HttpVersion.HTTP_1_0.equals(netty.version())
                && ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse())
                        instanceof HttpServerResponse response) {
            response.chunkedTransfer(false).keepAlive(false);
        }
        return chain.filter(exchange);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
