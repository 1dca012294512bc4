package io.connectionswap.client.gateway;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.swapclient.GenerationException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.time.Duration;
import java.util.List;
import org.springframework.http.HttpStatus;

/** An error the gateway answers with OpenAI's error JSON ({@code {"error":{"message","type","param","code"}}}). */
public final class GatewayError extends RuntimeException {

    private static final String MALFORMED_HTTP = "malformed_http";
    private static final String REQUEST_LINE_TOO_LONG = "request_line_too_long";
    private static final String REQUEST_HEADERS_TOO_LARGE = "request_headers_too_large";
    private static final String HTTP_VERSION_NOT_SUPPORTED = "http_version_not_supported";
    /** The code of an answer the gateway ended because it is shutting down ({@link #shuttingDown}). */
    static final String SHUTTING_DOWN = "shutting_down";

    /** The codes of {@link #malformedHttp} and {@link #httpVersionNotServed}: a request the gateway could not read. */
    public static final List<String> MALFORMED_HTTP_CODES = List.of(MALFORMED_HTTP, REQUEST_LINE_TOO_LONG,
            REQUEST_HEADERS_TOO_LARGE, HTTP_VERSION_NOT_SUPPORTED);

    private final HttpStatus status;
    private final String type;
    private final String code;
    private final String param;
    private final long retryAfterSeconds;
    private final String allow;
    /** What the gateway's log says of it: the whole text the caller's message leaves out, or null. */
    private final String operatorDetail;

    /** @param retryAfterSeconds the {@code Retry-After} header, or 0 for none */
    public GatewayError(HttpStatus status, String type, String code, String param, String message,
                        long retryAfterSeconds) {
        this(status, type, code, param, message, retryAfterSeconds, null, null);
    }

    private GatewayError(HttpStatus status, String type, String code, String param, String message,
                         long retryAfterSeconds, String allow, String operatorDetail) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
        this.allow = allow;
        this.operatorDetail = operatorDetail;
    }

    /** 400: the request is malformed, misses a field, or has a value out of range. */
    public static GatewayError badRequest(String code, String param, String message) {
        return new GatewayError(HttpStatus.BAD_REQUEST, "invalid_request_error", code, param, message, 0);
    }

    public static GatewayError tooLarge(long limit) {
        return new GatewayError(HttpStatus.CONTENT_TOO_LARGE, "invalid_request_error", "request_too_large", null,
                "request body is larger than " + limit + " bytes (CONNECTION_SWAP_MAX_REQUEST_BYTES)", 0);
    }

    /** 408: the request's body did not all arrive within the request timeout; the connection closes after it. */
    public static GatewayError requestTimeout(Duration timeout) {
        return new GatewayError(HttpStatus.REQUEST_TIMEOUT, "invalid_request_error", "request_timeout", null,
                "the request body did not arrive within " + timeout.toMillis() + " ms of its head "
                        + "(CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT)", 0);
    }

    /**
     * The answer to a request the HTTP codec could not decode ({@code cause}: its decoder failure): 414 for a request
     * line over {@code server.netty.max-initial-line-length}, 431 for headers over
     * {@code server.max-http-request-header-size}, 400 for anything else (not HTTP/1.x, a header line without a
     * colon, two Content-Lengths, a bad chunk size).
     */
    public static GatewayError malformedHttp(Throwable cause) {
        String problem = LogLine.printable(String.valueOf(cause.getMessage()), 200);
        if (cause instanceof TooLongHttpLineException) {
            return new GatewayError(HttpStatus.URI_TOO_LONG, "invalid_request_error", REQUEST_LINE_TOO_LONG, null,
                    "the request line is too long: " + problem, 0);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new GatewayError(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "invalid_request_error",
                    REQUEST_HEADERS_TOO_LARGE, null, "the request headers are too large: " + problem, 0);
        }
        return badRequest(MALFORMED_HTTP, null, "the request is not valid HTTP/1.1: " + problem);
    }

    /** 400: a request target that is no URI (a bad {@code %} escape, a control character). */
    public static GatewayError malformedUrl(String problem) {
        return badRequest(MALFORMED_HTTP, null, "the request URL is not valid: " + LogLine.printable(problem, 200));
    }

    /** 505: a request of another HTTP than 1.x, such as HTTP/2 without TLS (prior knowledge), which is not served. */
    public static GatewayError httpVersionNotServed(String version) {
        return new GatewayError(HttpStatus.HTTP_VERSION_NOT_SUPPORTED, "invalid_request_error",
                HTTP_VERSION_NOT_SUPPORTED, null, LogLine.printable(version, 20)
                        + " is not served on this port: send HTTP/1.1", 0);
    }

    public static GatewayError unauthorized() {
        return new GatewayError(HttpStatus.UNAUTHORIZED, "invalid_request_error", "invalid_api_key", null,
                "Incorrect API key provided: send 'Authorization: Bearer <key>' with one of the gateway's keys", 0);
    }

    /** 403: a browser request from a page whose origin is not in {@code CONNECTION_SWAP_GATEWAY_CORS_ORIGINS}. */
    public static GatewayError originNotAllowed(String origin) {
        return new GatewayError(HttpStatus.FORBIDDEN, "invalid_request_error", "origin_not_allowed", null,
                "Requests from the origin '" + LogLine.printable(String.valueOf(origin), 200) + "' are not allowed "
                        + "(CONNECTION_SWAP_GATEWAY_CORS_ORIGINS)", 0);
    }

    public static GatewayError noHealthyWorker(String detail, long retryAfterSeconds) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable_error", "no_healthy_worker", null,
                detail, retryAfterSeconds);
    }

    /**
     * 503: the gateway holds as many request bytes as {@code CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES} allows
     * (bodies being read, prompts of running generations); the request was not read, and a retry may fit.
     */
    public static GatewayError gatewayBusy(long maxBufferedRequestBytes, long retryAfterSeconds) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable_error", "gateway_busy", null,
                "The gateway holds as many request bytes as it may (" + maxBufferedRequestBytes + " bytes, "
                        + "CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES): retry later, or raise the setting",
                retryAfterSeconds);
    }

    /**
     * 404: no healthy worker serves {@code model} (a generation's, or the one {@code GET /v1/models/{model}} asks),
     * quoted as far as a model name goes ({@link GenerationRequest#MAX_MODEL_CHARS}, control characters as '?').
     */
    public static GatewayError modelNotFound(String model) {
        return new GatewayError(HttpStatus.NOT_FOUND, "invalid_request_error", "model_not_found", "model",
                "The model '" + LogLine.printable(model, GenerationRequest.MAX_MODEL_CHARS)
                        + "' does not exist: no worker serves it (GET /v1/models lists them)", 0);
    }

    /** 404: a path under {@code /v1/} or {@code /api/} the gateway does not serve. */
    public static GatewayError unknownUrl(String method, String path) {
        return new GatewayError(HttpStatus.NOT_FOUND, "invalid_request_error", "unknown_url", null,
                "Invalid URL (" + method + " " + LogLine.printable(path, 200) + "): the gateway serves "
                        + GatewayRoutes.SERVED, 0);
    }

    /** 405: a path the gateway serves, asked with another method; the answer's {@code Allow} header names it. */
    public static GatewayError methodNotAllowed(String method, String path, String allowed) {
        return new GatewayError(HttpStatus.METHOD_NOT_ALLOWED, "invalid_request_error", "method_not_allowed", null,
                "Method " + LogLine.printable(method, 20) + " is not allowed on " + path + ": use " + allowed, 0,
                allowed, null);
    }

    /**
     * 503 (or a stream's error event): the gateway is shutting down and ended the answer before its graceful shutdown
     * ran out ({@link GatewayShutdown}); its generation was cancelled, and a retry is served elsewhere or later.
     */
    public static GatewayError shuttingDown(long retryAfterSeconds) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable_error", SHUTTING_DOWN, null,
                CallerMessages.GATEWAY_SHUTTING_DOWN, retryAfterSeconds);
    }

    /**
     * 503 when the director's list of workers could not be had; {@code problem} (why, with the director's address
     * or an exception's text) goes to the gateway's log only.
     */
    public static GatewayError statusUnavailable(boolean directorConnected, String problem, long retryAfterSeconds) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable_error", "no_healthy_worker", null,
                CallerMessages.statusUnavailable(directorConnected), retryAfterSeconds, null, problem);
    }

    /** 500 for an exception the gateway did not expect; its text goes to the gateway's log only. */
    public static GatewayError internal(Throwable failure) {
        return new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", "internal", null,
                CallerMessages.INTERNAL, 0, null, failure.toString());
    }

    /**
     * The HTTP answer for a generation that failed before anything was sent, or the error event of one that failed
     * after. The caller's message is the gateway's ({@link CallerMessages}); the library's text, which may name the
     * director's address, a certificate or an exception, is kept for the log ({@link #operatorDetail()}).
     *
     * @param directorConnected whether the gateway's QUIC connection to a director is up now
     */
    public static GatewayError of(GenerationException failure, String model, boolean directorConnected,
                                  long retryAfterSeconds) {
        ErrorCode code = failure.code();
        String wire = code.name().toLowerCase(java.util.Locale.ROOT);
        String detail = failure.detail();
        String message = CallerMessages.generationFailed(code, detail, directorConnected);
        return switch (code) {
            case MODEL_NOT_FOUND -> modelNotFound(model);
            case NO_HEALTHY_WORKER, SHUTTING_DOWN, OVERLOADED -> new GatewayError(HttpStatus.SERVICE_UNAVAILABLE,
                    "service_unavailable_error", "no_healthy_worker", null, message, retryAfterSeconds, null, detail);
            case REQUEST_TOO_LARGE, FRAME_TOO_LARGE -> new GatewayError(HttpStatus.CONTENT_TOO_LARGE,
                    "invalid_request_error", "request_too_large", null, message, 0, null, detail);
            case BAD_REQUEST, MALFORMED_MESSAGE, UPSTREAM_REJECTED -> new GatewayError(HttpStatus.BAD_REQUEST,
                    "invalid_request_error", wire, null, message, 0, null, detail);
            case MIGRATION_LIMIT, UPSTREAM_FAILED -> new GatewayError(HttpStatus.BAD_GATEWAY, "server_error", wire, null,
                    message, 0, null, detail);
            // the gateway's client was closed: the gateway is shutting down, and a retry is served elsewhere or later
            case CANCELLED -> new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable_error",
                    SHUTTING_DOWN, null, message, retryAfterSeconds, null, detail);
            default -> new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", wire, null, message, 0,
                    null, detail);
        };
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** What the gateway logs of this error: the whole text behind the caller's message, or the message itself. */
    public String operatorDetail() {
        return operatorDetail != null ? operatorDetail : getMessage();
    }

    /** The {@code Allow} header of a 405 (the methods the path serves), or null. */
    public String allow() {
        return allow;
    }
}
