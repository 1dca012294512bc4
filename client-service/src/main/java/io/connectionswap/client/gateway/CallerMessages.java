package io.connectionswap.client.gateway;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.log.LogLine;

/**
 * What an HTTP caller is told of a failure that is not its request's fault: what happened and what to do, in the
 * gateway's own words. The client library's and the director's text (a director's {@code host:port}, a TLS
 * problem with certificate names, a worker's label and its exception) is for operators: the gateway logs it and
 * never sends it. Only a request fault's text (a limit the request broke, an upstream's scrubbed 4xx message) goes to
 * the caller, who needs it to fix the request.
 */
final class CallerMessages {

    static final String NO_DIRECTOR = "the gateway has no connection to a director; retry later";
    static final String INTERNAL = "internal error in the gateway; its log has the details under this request's "
            + "X-Request-Id";
    static final String GATEWAY_SHUTTING_DOWN = "the gateway is shutting down; retry later";
    private static final int MAX_REQUEST_FAULT_CHARS = 500;

    private CallerMessages() {
    }

    /**
     * The message of a generation that failed with {@code code}; {@code detail} is the library's text (used only
     * for a request fault), {@code directorConnected} whether the gateway's QUIC connection is up now.
     */
    static String generationFailed(ErrorCode code, String detail, boolean directorConnected) {
        return switch (code) {
            case BAD_REQUEST, MALFORMED_MESSAGE, UPSTREAM_REJECTED, REQUEST_TOO_LARGE, FRAME_TOO_LARGE ->
                    LogLine.printable(String.valueOf(detail), MAX_REQUEST_FAULT_CHARS);
            case NO_HEALTHY_WORKER -> directorConnected ? "no healthy worker could take the request in time; retry later"
                    : NO_DIRECTOR;
            case SHUTTING_DOWN -> "the director is shutting down; retry later";
            case OVERLOADED -> "the director is at its limit of concurrent streams; retry later";
            case MIGRATION_LIMIT -> "the generation failed on as many workers as the migration limit allows "
                    + "(CONNECTION_SWAP_MIGRATION_LIMIT); retry later";
            case UPSTREAM_FAILED -> "the model server behind the worker failed; retry later";
            case CANCELLED -> GATEWAY_SHUTTING_DOWN;
            default -> "the generation failed (" + code.name().toLowerCase(java.util.Locale.ROOT) + "); retry later, "
                    + "or give the gateway's operator this request's X-Request-Id";
        };
    }

    /** The message when the director's list of workers could not be had. */
    static String statusUnavailable(boolean directorConnected) {
        return directorConnected ? "the director did not answer the gateway's question for its workers; retry later"
                : NO_DIRECTOR;
    }
}
