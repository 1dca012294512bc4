package io.connectionswap.client.gateway;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.swapclient.GenerationException;
import java.time.Duration;
import org.springframework.http.HttpStatus;

/**
 * An error the gateway answers with OpenAI's error JSON ({@code {"error":{"message","type","param","code"}}}).
 *
 * @param retryAfterSeconds the {@code Retry-After} header, or 0 for none
 */
public final class GatewayError extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String code;
    private final String param;
    private final long retryAfterSeconds;

    public GatewayError(HttpStatus status, String type, String code, String param, String message,
                        long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
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

    public static GatewayError unauthorized() {
        return new GatewayError(HttpStatus.UNAUTHORIZED, "invalid_request_error", "invalid_api_key", null,
                "Incorrect API key provided: send 'Authorization: Bearer <key>' with one of the gateway's keys", 0);
    }

    public static GatewayError noHealthyWorker(String detail, long retryAfterSeconds) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable_error", "no_healthy_worker", null,
                detail, retryAfterSeconds);
    }

    /** The HTTP answer for a generation that failed before anything was sent. */
    public static GatewayError of(GenerationException failure, String model, long retryAfterSeconds) {
        ErrorCode code = failure.code();
        String wire = code.name().toLowerCase(java.util.Locale.ROOT);
        return switch (code) {
            case MODEL_NOT_FOUND -> new GatewayError(HttpStatus.NOT_FOUND, "invalid_request_error", "model_not_found",
                    "model", "The model '" + model + "' does not exist: no worker serves it (GET /v1/models lists them)", 0);
            case NO_HEALTHY_WORKER, SHUTTING_DOWN, OVERLOADED -> noHealthyWorker(failure.detail(), retryAfterSeconds);
            case REQUEST_TOO_LARGE, FRAME_TOO_LARGE -> new GatewayError(HttpStatus.CONTENT_TOO_LARGE,
                    "invalid_request_error", "request_too_large", null, failure.detail(), 0);
            case BAD_REQUEST, MALFORMED_MESSAGE, UPSTREAM_REJECTED -> badRequest(wire, null, failure.detail());
            case MIGRATION_LIMIT, UPSTREAM_FAILED -> new GatewayError(HttpStatus.BAD_GATEWAY, "server_error", wire, null,
                    failure.detail(), 0);
            default -> new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", wire, null, failure.detail(), 0);
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
}
