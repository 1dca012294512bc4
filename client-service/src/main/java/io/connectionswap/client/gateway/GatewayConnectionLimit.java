package io.connectionswap.client.gateway;

import io.connectionswap.protocol.log.LogLine;
import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import reactor.netty.http.server.HttpServer;

/**
 * At most {@code CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS} HTTP connections on the gateway's port: one more is closed
 * as soon as it is accepted, before anything is read, so a flood of connections costs a file descriptor and a few
 * kilobytes each only up to the limit (reactor-netty has none). Counts every connection, Actuator's included, for the
 * {@code connection_swap_gateway_http_connections} gauge. One WARN line when the limit is reached, one INFO line with
 * the number refused when a connection is free again; each refusal counts in
 * {@code connection_swap_limit_hits_total{limit="gateway_connections"}}.
 */
final class GatewayConnectionLimit implements NettyServerCustomizer {

    private static final Logger log = LoggerFactory.getLogger(GatewayConnectionLimit.class);

    /** 0: no limit. */
    private final int maxConnections;
    private final Runnable onRefused;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean full = new AtomicBoolean();
    private final AtomicLong refusedWhileFull = new AtomicLong();

    GatewayConnectionLimit(int maxConnections, Runnable onRefused) {
        this.maxConnections = maxConnections;
        this.onRefused = onRefused;
        LogLine.info(log).field("max.connections", maxConnections).log("gateway http connection limit");
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnChannelInit((observer, channel, remote) -> admit(channel));
    }

    /** HTTP connections open now. */
    int open() {
        return open.get();
    }

    private void admit(Channel channel) {
        if (open.incrementAndGet() > maxConnections && maxConnections > 0) {
            open.decrementAndGet();
            refuse(channel);
            return;
        }
        channel.closeFuture().addListener(closed -> released());
    }

    private void refuse(Channel channel) {
        onRefused.run();
        refusedWhileFull.incrementAndGet();
        if (full.compareAndSet(false, true)) {
            LogLine.warn(log).field("max.connections", maxConnections).field("remote", channel.remoteAddress())
                    .log("gateway http connections at their limit; new ones are closed at once");
        }
        channel.close();
    }

    private void released() {
        if (open.decrementAndGet() < maxConnections && full.compareAndSet(true, false)) {
            LogLine.info(log).field("max.connections", maxConnections).field("refused", refusedWhileFull.getAndSet(0))
                    .log("gateway http connections below their limit again");
        }
    }
}
