package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import reactor.netty.http.server.HttpServer;

/**
 * Bounds what a silent or slow HTTP peer can hold on the gateway's port, where reactor-netty by default waits
 * forever: a connection with no request in flight closes after the idle timeout (so idle keep-alive connections, and
 * connections that never send a whole request head, do not pile up), and a request's body must arrive within the
 * request timeout of its head ({@link RequestBodyDeadline}), and a peer that takes nothing of its answer for the
 * write timeout is cut off ({@link WriteStallTimeout}). None limits a response a peer reads: a stream runs as long as
 * its generation. A request the codec cannot decode, or a head cut off by the idle timeout, ends in
 * {@link MalformedRequests} right behind the codec.
 */
final class GatewayHttpTimeouts implements NettyServerCustomizer {

    private static final Logger log = LoggerFactory.getLogger(GatewayHttpTimeouts.class);

    private final Duration idleTimeout;
    private final Duration requestTimeout;
    private final Duration writeTimeout;
    private final Runnable onRequestTimeout;
    private final Runnable onWriteTimeout;
    private final Consumer<String> onMalformed;

    /**
     * {@code onRequestTimeout}: runs each time a connection is closed for a body that did not arrive in time;
     * {@code onWriteTimeout}: each time one is closed for a peer that read nothing of its answer in time;
     * {@code onMalformed}: takes the error code of each request refused because it did not decode.
     */
    GatewayHttpTimeouts(GatewayProperties properties, Runnable onRequestTimeout, Runnable onWriteTimeout,
            Consumer<String> onMalformed) {
        this.idleTimeout = properties.idleTimeout();
        this.requestTimeout = properties.requestTimeout();
        this.writeTimeout = properties.writeTimeout();
        this.onRequestTimeout = onRequestTimeout;
        this.onWriteTimeout = onWriteTimeout;
        this.onMalformed = onMalformed;
        LogLine.info(log).field("idle.timeout", idleTimeout).field("request.timeout", requestTimeout)
                .field("write.timeout", writeTimeout)
                .log("gateway http timeouts");
    }

    @Override
    public HttpServer apply(HttpServer server) {
        HttpServer timed = idleTimeout.isZero() ? server : server.idleTimeout(idleTimeout);
        if (!requestTimeout.isZero()) {
            // not reactor-netty's requestTimeout: it starts at the head and stops counting once a request is
            // answered, and a body that stops arriving while the gateway reads it fails that request twice (the
            // second at ERROR)
            ClosingAnswer timeoutAnswer = RequestBodyDeadline.timeoutAnswer(requestTimeout); // once, not per connection
            timed = timed.doOnChannelInit((observer, channel, remote) -> RequestBodyDeadline.install(channel.pipeline(),
                    requestTimeout, timeoutAnswer, onRequestTimeout));
        }
        if (!writeTimeout.isZero()) {
            timed = timed.doOnChannelInit((observer, channel, remote) -> WriteStallTimeout.install(channel.pipeline(),
                    writeTimeout, onWriteTimeout));
        }
        // right behind the codec whatever the order: the handlers behind it see decoded requests only
        return timed.doOnChannelInit((observer, channel, remote) -> MalformedRequests.install(channel.pipeline(),
                onMalformed));
    }
}
