package io.connectionswap.director.quic;

import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicLong;

/** Names client connections {@code conn-1}, {@code conn-2}, ... as in the original log format (README "Logging"). */
final class ConnectionIds {

    private static final AttributeKey<String> ID = AttributeKey.valueOf("connection-swap.connection-id");
    private final AtomicLong next = new AtomicLong();

    String assign(QuicChannel connection) {
        String id = "conn-" + next.incrementAndGet();
        connection.attr(ID).set(id);
        return id;
    }

    static String of(Channel channel) {
        QuicChannel connection = io.connectionswap.protocol.quic.Peers.connectionOf(channel);
        String id = connection == null ? null : connection.attr(ID).get();
        return id == null ? "conn-?" : id;
    }
}
