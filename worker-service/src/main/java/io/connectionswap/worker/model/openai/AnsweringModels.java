package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models the upstream says answered, when not the one asked for (a server that serves another model under the
 * name, an alias, a router that fell back): one WARN per distinct pair of asked and answered names, for the life
 * of the worker, and the generation goes on (the text is the upstream's all the same; the operator decides).
 * About {@link #MAX_PAIRS} pairs at most are remembered, so an upstream that names a new model in every answer cannot
 * grow the set or flood the log. Thread-safe: one per upstream, shared by its streams.
 */
final class AnsweringModels {

    static final int MAX_PAIRS = 32;
    private static final int MAX_NAME_CHARS = 200;
    private static final Logger log = LoggerFactory.getLogger(AnsweringModels.class);

    private record Pair(String asked, String answered) {
    }

    private final URI uri;
    private final Set<Pair> warned = ConcurrentHashMap.newKeySet();

    AnsweringModels(URI uri) {
        this.uri = uri;
    }

    /** The upstream answered a request for {@code asked} as {@code answered} (null: it did not say). */
    void answered(String asked, String answered) {
        if (answered == null || answered.equals(asked) || warned.size() >= MAX_PAIRS) {
            return;
        }
        String name = LogLine.printable(answered, MAX_NAME_CHARS);
        if (warned.add(new Pair(asked, name))) {
            LogLine.warn(log).field("model", asked).field("upstream.model", name).field("upstream.url", uri)
                    .log("upstream answered with another model than asked; generating on (check "
                            + "CONNECTION_SWAP_UPSTREAM_MODEL and the upstream's model names)");
        }
    }
}
