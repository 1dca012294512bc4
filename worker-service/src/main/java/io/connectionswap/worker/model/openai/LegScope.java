package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.GenerationContext;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What one leg ({@link UpstreamCompletion}) is and where it runs, fixed for its life: the upstream it asks and the
 * completions URI it posts to, the generation it serves, how its failures read ({@link UpstreamErrors}), the serial
 * executor its parts are confined to, and where the requests beside the completion go (the token count, the
 * look-ahead: cancelled with the leg). Made once per leg.
 */
record LegScope(Upstream upstream, GenerationContext context, URI uri, UpstreamErrors errors, SerialExecutor serial,
                Consumer<CompletableFuture<?>> asides) {
}
