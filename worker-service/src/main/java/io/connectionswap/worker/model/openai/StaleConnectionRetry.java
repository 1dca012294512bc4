package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request to the upstream is sent through this: when it fails on what can only be a kept-alive connection the
 * upstream (or a proxy, load balancer or NAT in between) closed under it, it is sent once more, on another
 * connection (the one that failed is closed, out of the JDK's pool). Such a failure is an I/O error before any
 * header of an answer came that is neither a connect failure nor a timeout: the JDK's "HTTP/1.1 header parser
 * received no bytes", a connection reset before the headers. The JDK sends such a request again itself only when it
 * is idempotent (a GET), never a POST.
 *
 * <p>Sending it again cannot duplicate anything: no header of an answer came, so no byte of one (no token) reached
 * the worker, and an upstream whose connection closed aborts whatever it had begun. Only a failure before the
 * headers is sent again, once; a second failure, and any failure after the headers, is the caller's. The caller's
 * time limits (a leg's first-token clock, {@link Upstream#sendWithin}'s deadline) go on across the second attempt.
 */
final class StaleConnectionRetry {

    private static final Logger log = LoggerFactory.getLogger(StaleConnectionRetry.class);
    /** How deep a failure's causes are searched for a connect failure or a timeout. */
    private static final int MAX_CAUSES = 8;

    private StaleConnectionRetry() {
    }

    /**
     * Sends {@code request}, once more on another connection when the first attempt met a closed connection
     * ({@link #isClosedConnection}) before any answer. Cancelling the result cancels the attempt under way. A request
     * that cannot be sent at all throws, as {@link HttpClient#sendAsync} does.
     */
    static <T> CompletableFuture<HttpResponse<T>> send(HttpClient http, HttpRequest request,
                                                       HttpResponse.BodyHandler<T> body) {
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        attempt(http, request, body, result, false);
        return result;
    }

    /**
     * Whether {@code failure}, of an exchange that received no header of an answer, is a connection closed under the
     * request: an I/O error, none of its causes a connect failure (refused, unresolved, TLS handshake) or a timeout.
     */
    static boolean isClosedConnection(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (!(cause instanceof IOException)) {
            return false; // cancelled, or a failure of the worker's own
        }
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof HttpTimeoutException
                    || cause instanceof SSLHandshakeException) {
                return false;
            }
        }
        return true;
    }

    private static <T> void attempt(HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> body,
                                    CompletableFuture<HttpResponse<T>> result, boolean again) {
        AtomicBoolean answered = new AtomicBoolean(); // the JDK asks for the body's handler once the headers came
        CompletableFuture<HttpResponse<T>> exchange = http.sendAsync(request, info -> {
            answered.set(true);
            return body.apply(info);
        });
        result.whenComplete((response, failure) -> {
            if (failure != null) {
                exchange.cancel(true); // the caller gave up (or the exchange failed: then this does nothing)
            }
        });
        exchange.whenComplete((response, failure) -> {
            if (failure == null) {
                result.complete(response);
            } else if (!again && !answered.get() && !result.isDone() && isClosedConnection(failure)) {
                sendAgain(http, request, body, result, failure);
            } else {
                result.completeExceptionally(failure);
            }
        });
    }

    private static <T> void sendAgain(HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> body,
                                      CompletableFuture<HttpResponse<T>> result, Throwable failure) {
        LogLine.info(log).field("upstream.url", request.uri())
                .quoted("problem", UpstreamErrors.describeForLog(failure))
                .log("upstream connection closed before an answer (a stale kept-alive connection); sending the "
                        + "request again on another connection");
        try {
            attempt(http, request, body, result, true);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
    }
}
