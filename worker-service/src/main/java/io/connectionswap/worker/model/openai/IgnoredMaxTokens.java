package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream that generates past the {@code max_tokens} it was sent (a proxy in between that drops the field, a
 * server that does not honour it): each leg ends at its budget ({@code LegChunkHandler}), and the operator is told
 * once, with one WARN for the life of the worker, since every long generation would say it again. Thread-safe: one
 * per upstream, shared by its streams.
 */
final class IgnoredMaxTokens {

    private static final Logger log = LoggerFactory.getLogger(IgnoredMaxTokens.class);

    private final URI uri;
    private final String model;
    private final AtomicBoolean warned = new AtomicBoolean();

    IgnoredMaxTokens(URI uri, String model) {
        this.uri = uri;
        this.model = model;
    }

    /** The upstream sent a token past the {@code maxTokens} a leg asked for. */
    void seen(int maxTokens) {
        if (warned.compareAndSet(false, true)) {
            LogLine.warn(log).field("upstream.url", uri).field("model", model).field("max.tokens", maxTokens)
                    .log("upstream ignores max_tokens: it sent more tokens than asked for; the worker ends such a "
                            + "generation at its budget (finish reason length) and closes the upstream's stream "
                            + "(check a proxy in between, or the server's options)");
        }
    }
}
