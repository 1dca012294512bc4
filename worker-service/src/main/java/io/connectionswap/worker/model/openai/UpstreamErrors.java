package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.model.ModelException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What an upstream failure means for the generation. The request's fault ({@link ErrorCode#UPSTREAM_REJECTED}, final
 * for the client, never swapped): a 4xx answer, except the ones that say something about this worker's upstream
 * rather than the request (401 and 403: its API key; 404: its model or URL; 408 and 429: its load). Everything
 * else is the upstream's failure ({@link ErrorCode#UPSTREAM_FAILED}: the director moves the generation to another
 * worker): a refused or timed-out connection, a 5xx, a stream cut before its end, a malformed chunk.
 *
 * <p>A message leaves the worker (the director, the client, the gateway's error body), so it names no upstream
 * address and quotes at most {@value #MAX_MESSAGE_CHARS} characters of the upstream's text, with its address taken
 * out ({@link UpstreamAddressFilter}); the URL rides along in {@link ModelException#upstream()} for the worker's
 * log.
 */
final class UpstreamErrors {

    /** 4xx answers that are not the request's fault. */
    private static final Set<Integer> NOT_THE_REQUEST = Set.of(401, 403, 404, 408, 429);
    private static final int MAX_MESSAGE_CHARS = 300;

    private final String upstream;
    private final UpstreamAddressFilter addressFilter;

    /** The failures of requests to {@code uri}: their messages never name it, their {@code upstream()} does. */
    UpstreamErrors(URI uri) {
        this.upstream = uri.toString();
        this.addressFilter = new UpstreamAddressFilter(uri);
    }

    static boolean isRequestFault(int status) {
        return status >= 400 && status < 500 && !NOT_THE_REQUEST.contains(status);
    }

    /** A non-2xx answer to a completion request, with the upstream's own error message (bounded). */
    ModelException forStatus(int status, String body, JsonMapper json) {
        ErrorCode code = isRequestFault(status) ? ErrorCode.UPSTREAM_REJECTED : ErrorCode.UPSTREAM_FAILED;
        return failure(code, "upstream answered HTTP " + status + ": " + quote(text(body, json)), null);
    }

    /** The exchange failed before an answer: connection refused, connect timeout, no answer in time. */
    ModelException forException(Throwable failure, java.time.Duration answerTimeout) {
        Throwable cause = unwrap(failure);
        String problem;
        if (cause instanceof HttpConnectTimeoutException) {
            problem = "cannot connect to upstream: connect timed out";
        } else if (cause instanceof HttpTimeoutException) {
            problem = "upstream sent no answer within " + answerTimeout;
        } else if (cause instanceof ConnectException || cause instanceof UnresolvedAddressException) {
            problem = "cannot connect to upstream: " + quote(describe(cause));
        } else if (cause instanceof IOException) {
            problem = "upstream connection failed: " + quote(describe(cause));
        } else {
            problem = "upstream request failed: " + quote(describe(cause));
        }
        return failure(ErrorCode.UPSTREAM_FAILED, problem, cause);
    }

    /**
     * An error object inside the stream (vLLM and others send {@code data: {"error": {...}}} when generation fails
     * after the answer started): before the generation's first token a 4xx code in it is the request's fault,
     * anything else the upstream's. After a token ({@code produced}: the generation's, a resume's delivered ones
     * included) it is always the upstream's: the request was taken, and vLLM and SGLang report every failure inside a
     * started stream with code 400 ({@code BadRequestError}), an engine failure among them.
     */
    ModelException forStreamError(JsonNode error, int produced) {
        JsonNode code = error.path("code");
        int status = code.isNumber() ? code.asInt() : parseInt(code.isString() ? code.asString() : null);
        String type = error.path("type").asString("");
        // OpenAI's error object names the kind in "type"; an error event's own object ({"type": "error", "code":
        // "invalid_request_error"}) names it in "code"
        String kind = type + " " + (code.isString() ? code.asString() : "");
        boolean requestFault = produced == 0
                && (isRequestFault(status) || (status == 0 && kind.contains("invalid_request")));
        String message = error.path("message").asString(error.toString());
        return failure(requestFault ? ErrorCode.UPSTREAM_REJECTED : ErrorCode.UPSTREAM_FAILED,
                "upstream sent an error after " + produced + " tokens" + (status > 0 ? " (code " + status + ")" : "")
                        + ": " + quote(message), null);
    }

    /** The stream broke (an I/O error after the answer began). */
    ModelException forBrokenStream(Throwable failure, int produced) {
        return failed("upstream stream broke after " + produced + " tokens: " + quote(describe(unwrap(failure))),
                failure);
    }

    /** {@code failure} for the worker's log (not a message: it may name the upstream's address). */
    static String describeForLog(Throwable failure) {
        return describe(unwrap(failure));
    }

    /** An upstream failure (a swap) described by the worker; {@code problem} must not quote the upstream's text. */
    ModelException failed(String problem, Throwable cause) {
        return failure(ErrorCode.UPSTREAM_FAILED, problem, cause);
    }

    /** Text the upstream (or an exception about it) wrote, made fit to leave the worker: no address, bounded. */
    String quote(String text) {
        return abbreviate(addressFilter.filter(text));
    }

    private ModelException failure(ErrorCode code, String problem, Throwable cause) {
        return new ModelException(code, problem, upstream, cause);
    }

    /** The message of an OpenAI-style error body, bounded (for the worker's health, which names the URL anyway). */
    static String message(String body, JsonMapper json) {
        return abbreviate(text(body, json));
    }

    /** The message of an OpenAI-style error body ({@code {"error": {"message": ...}}}, or {@code message}, or {@code detail}), whole. */
    private static String text(String body, JsonMapper json) {
        if (body == null || body.isBlank()) {
            return "(empty body)";
        }
        try {
            JsonNode root = json.readTree(body);
            JsonNode error = root.path("error");
            if (error.isObject() && error.path("message").isString()) {
                return error.path("message").asString();
            }
            if (error.isString()) {
                return error.asString();
            }
            for (String field : new String[] {"message", "detail"}) {
                if (root.path(field).isString()) {
                    return root.path(field).asString();
                }
            }
        } catch (JacksonException e) {
            // not JSON: the text itself
        }
        return body.strip();
    }

    private static String abbreviate(String text) {
        return text.length() <= MAX_MESSAGE_CHARS ? text : text.substring(0, MAX_MESSAGE_CHARS) + "...";
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static String describe(Throwable cause) {
        if (cause instanceof ConnectException) {
            String message = cause.getMessage();
            return message == null || message.isBlank() ? "connection refused" : message;
        }
        if (cause instanceof UnresolvedAddressException) {
            return "host cannot be resolved";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + message;
    }

    private static int parseInt(String text) {
        if (text == null) {
            return 0;
        }
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
