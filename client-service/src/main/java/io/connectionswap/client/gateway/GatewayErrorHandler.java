package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.log.RepeatedProblems;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import reactor.netty.channel.AbortedException;

/**
 * Answers every error on {@code /v1/**} and {@code /api/**} with OpenAI's error JSON and the right status (and
 * {@code Retry-After} on 503), as long as nothing was sent yet. Runs before Spring Boot's own error handler; other
 * paths are left to it.
 */
@Order(-2)
final class GatewayErrorHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(GatewayErrorHandler.class);
    private static final String STATUS_PATH = "/api/status";

    private final long maxRequestBytes;
    /** The live page polls the status every second from each open tab: an outage must not be a line a second. */
    private final RepeatedProblems statusPollProblems = RepeatedProblems.withDefaults();

    GatewayErrorHandler(long maxRequestBytes) {
        this.maxRequestBytes = maxRequestBytes;
    }

    /**
     * A failed request's line: WARN for a failure, INFO for a refusal; for the status (the live page's poll) only
     * the first of a kind at that level, its repeats at DEBUG with a WARN reminder every 5 minutes ({@code repeats}).
     * What caused a status failure (the director out of reach) is logged where it happens, in the client library.
     */
    private LogLine lineFor(String path, GatewayError error, boolean failed) {
        if (GatewayError.SHUTTING_DOWN.equals(error.code())) {
            return LogLine.at(log, Level.DEBUG); // the gateway's shutdown ended it: GatewayShutdown's one line counts
        }
        Level level = failed ? Level.WARN : Level.INFO;
        if (!STATUS_PATH.equals(path)) {
            return LogLine.at(log, level);
        }
        RepeatedProblems.Occurrence occurrence = statusPollProblems.occurred(error.status().value() + " "
                + error.code(), level);
        return occurrence.withRepeats(LogLine.at(log, occurrence.level()));
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        ServerHttpResponse response = exchange.getResponse();
        if (!GatewayRoutes.isApi(exchange.getRequest()) || response.isCommitted()) {
            return Mono.error(failure);
        }
        if (failure instanceof AbortedException) {
            // the client went away, or RequestBodyDeadline closed the connection: not a failure of the gateway
            LogLine.info(log).field("path", path).quoted("problem", failure.getMessage())
                    .log("http connection closed before the request was read");
            return Mono.empty(); // nobody to answer
        }
        GatewayError error = toGatewayError(failure);
        String requestId = RequestIds.of(exchange);
        boolean failed = error.status().is5xxServerError();
        if (requestId == null && failed) {
            requestId = RequestIds.assign(exchange); // the caller's message may point to it: it must exist
        }
        LogLine line = lineFor(path, error, failed);
        if (requestId != null) {
            line.field("generation.id", requestId);
            response.getHeaders().set(RequestIds.HEADER, requestId);
        }
        line.field("path", path).field("status", error.status().value()).field("code", error.code())
                .quoted("problem", error.operatorDetail())
                .log(failed ? "gateway request failed" : "gateway request refused");
        response.setStatusCode(error.status());
        response.getHeaders().remove("X-Accel-Buffering"); // set for a stream that never started
        response.getHeaders().remove(HttpHeaders.CACHE_CONTROL);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        if (error.retryAfterSeconds() > 0) {
            response.getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(error.retryAfterSeconds()));
        }
        if (error.allow() != null) {
            response.getHeaders().set(HttpHeaders.ALLOW, error.allow());
        }
        if (error.status() == HttpStatus.UNAUTHORIZED) {
            response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        byte[] body = OpenAiResponses.error(error).toString().getBytes(StandardCharsets.UTF_8);
        DataBuffer buffer = response.bufferFactory().wrap(body);
        return response.writeWith(Mono.just(buffer));
    }

    private GatewayError toGatewayError(Throwable failure) {
        if (failure instanceof GatewayError error) {
            return error;
        }
        if (failure instanceof DataBufferLimitException) {
            return GatewayError.tooLarge(maxRequestBytes);
        }
        if (failure instanceof ResponseStatusException status) {
            HttpStatus code = HttpStatus.resolve(status.getStatusCode().value());
            code = code == null ? HttpStatus.INTERNAL_SERVER_ERROR : code;
            String type = code.is4xxClientError() ? "invalid_request_error" : "server_error";
            String wire = code == HttpStatus.NOT_FOUND ? "not_found"
                    : code == HttpStatus.METHOD_NOT_ALLOWED ? "method_not_allowed"
                    : code == HttpStatus.UNSUPPORTED_MEDIA_TYPE ? "unsupported_media_type" : "http_" + code.value();
            String message = status.getReason() != null ? status.getReason() : code.getReasonPhrase();
            return new GatewayError(code, type, wire, null, message, 0);
        }
        LogLine.error(log).quoted("problem", failure.toString()).cause(failure).log("unexpected gateway failure");
        return GatewayError.internal(failure);
    }
}
