package io.connectionswap.client.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/** A peer's side of an HTTP/1.1 connection in an {@link EmbeddedChannel}: bytes in, the bytes answered as text. */
final class EmbeddedHttp {

    private EmbeddedHttp() {
    }

    /** What a peer sends: {@code bytes} arrive in one read. */
    static void send(EmbeddedChannel channel, String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }

    /** Everything written to the peer so far, as text (read and released). */
    static String answer(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            text.append(((ByteBuf) out).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(out);
        }
        return text.toString();
    }

    /** Drops what was passed on to the handlers behind, releasing it. */
    static void releaseInbound(EmbeddedChannel channel) {
        for (Object in = channel.readInbound(); in != null; in = channel.readInbound()) {
            ReferenceCountUtil.release(in);
        }
    }
}
