package io.connectionswap.client.gateway;

import java.util.UUID;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.server.ServerWebExchange;

/**
 * The id of a completion request: its generation's id ({@code generation.id} in the gateway's, the director's and
 * the workers' log lines; the {@code id} of the answer is {@code cmpl-}/{@code chatcmpl-} and it). Sent back as
 * {@code X-Request-Id}, as OpenAI's API does (the SDKs expose it as the request id), on the answer and on an error
 * answered after the request was read, so a failed request can be found in the logs.
 */
final class RequestIds {

    static final String HEADER = "X-Request-Id";
    private static final String ATTRIBUTE = RequestIds.class.getName();

    private RequestIds() {
    }

    /** A new generation id for {@code request}, kept on its exchange for {@link #of}. */
    static String assign(ServerRequest request) {
        return assign(request.exchange());
    }

    /**
     * A new id for {@code exchange}, kept for {@link #of}: for a generation, or for a request that failed in the
     * gateway before it had one (a 5xx whose answer and log line need an id to be matched by).
     */
    static String assign(ServerWebExchange exchange) {
        String id = UUID.randomUUID().toString();
        exchange.getAttributes().put(ATTRIBUTE, id);
        return id;
    }

    /** The id {@link #assign} gave the exchange's request, or null (refused before a generation was made). */
    static String of(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }
}
