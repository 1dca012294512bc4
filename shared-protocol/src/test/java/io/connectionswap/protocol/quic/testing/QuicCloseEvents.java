package io.connectionswap.protocol.quic.testing;

import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;

/** Netty's event for a peer's CONNECTION_CLOSE, for tests of connection handlers (its constructor is not public). */
public final class QuicCloseEvents {

    private QuicCloseEvents() {
    }

    /** An application close with {@code code} and the reason phrase {@code reason} (null: none, as Netty hands it). */
    public static QuicConnectionCloseEvent applicationClose(int code, String reason) {
        try {
            Constructor<QuicConnectionCloseEvent> constructor = QuicConnectionCloseEvent.class
                    .getDeclaredConstructor(boolean.class, int.class, byte[].class);
            constructor.setAccessible(true);
            return constructor.newInstance(true, code, reason == null ? null : reason.getBytes(StandardCharsets.UTF_8));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a QuicConnectionCloseEvent (Netty changed it?)", e);
        }
    }
}
