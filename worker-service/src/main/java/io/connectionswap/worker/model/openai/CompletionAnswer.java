package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.ModelException;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Flow;

/**
 * Whether the upstream's answer to a leg's request is the event stream asked for: a 2xx answer that is not one JSON
 * document is, and its body is read line by line ({@link LegBody}); any other answer is a failure, of which only the
 * first bytes are read, for the error message: its status's (with the back-off a {@code Retry-After} asks for), or
 * that of an upstream that ignored {@code "stream": true}.
 */
final class CompletionAnswer {

    private static final int MAX_ERROR_BODY_BYTES = 8192;

    private CompletionAnswer() {
    }

    /** 2xx: the body is read line by line as demand allows; anything else: its first bytes, for the error message. */
    static HttpResponse.BodySubscriber<String> body(HttpResponse.ResponseInfo info,
                                                    Flow.Subscriber<? super String> lines) {
        if (info.statusCode() / 100 == 2 && !wholeJson(info.headers())) {
            return LegBody.lines(lines);
        }
        return new BoundedBody(MAX_ERROR_BODY_BYTES);
    }

    /** The failure {@code response} is, or null when it is an event stream (whose lines decide). */
    static ModelException failure(HttpResponse<String> response, Upstream upstream, UpstreamErrors errors) {
        if (response.statusCode() / 100 != 2) {
            upstream.backOff().answered(response.statusCode(), response.headers().firstValue("Retry-After"),
                    Instant.now());
            return errors.forStatus(response.statusCode(), response.body(), upstream.json());
        }
        if (wholeJson(response.headers())) {
            return errors.failed("upstream answered application/json instead of an event stream (text/event-stream): "
                    + "it does not stream completions (\"stream\": true)", null);
        }
        return null;
    }

    /** A 2xx answer that is one JSON document: an upstream that ignored {@code "stream": true}. */
    private static boolean wholeJson(HttpHeaders headers) {
        return headers.firstValue("Content-Type").map(type -> type.toLowerCase(Locale.ROOT).startsWith(
                "application/json")).orElse(false);
    }
}
