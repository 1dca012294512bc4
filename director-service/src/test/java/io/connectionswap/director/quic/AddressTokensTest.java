package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.director.metrics.DirectorMeters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retry tokens: good only from the address they were issued to, unaltered, and before they expire. */
class AddressTokensTest {

    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DirectorMeters meters = new DirectorMeters(registry, loop);
    private long nowMillis = 1_700_000_000_000L;
    private final byte[] key = new byte[32];
    private final AddressTokens tokens = new AddressTokens(key, () -> nowMillis, meters);
    private final InetSocketAddress client = new InetSocketAddress("192.0.2.10", 50000);
    private final ByteBuf dcid = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

    @AfterEach
    void tearDown() {
        dcid.release();
        loop.shutdownGracefully();
    }

    @Test
    void aTokenIsValidFromItsAddressAndPointsAtTheOriginalConnectionId() {
        ByteBuf token = issue();
        int offset = tokens.validateToken(token, new InetSocketAddress("192.0.2.10", 50001));
        assertThat(offset).isEqualTo(25);
        assertThat(token.slice(offset, token.readableBytes() - offset)).isEqualTo(dcid);
        assertThat(registry.get("connection.swap.address.validation").tag("result", "accepted").counter().count())
                .isEqualTo(1);
        token.release();
    }

    @Test
    void aTokenFromAnotherAddressAnAlteredOneAnExpiredOneOrAnotherProcesssOneIsRejected() {
        ByteBuf token = issue();
        assertThat(tokens.validateToken(token, new InetSocketAddress("192.0.2.11", 50000))).isEqualTo(-1);

        ByteBuf altered = token.copy();
        altered.setByte(altered.writerIndex() - 1, 9); // another original connection id
        assertThat(tokens.validateToken(altered, client)).isEqualTo(-1);
        altered.setByte(altered.writerIndex() - 1, 8);
        altered.setLong(1, nowMillis + 3_600_000); // a later expiry
        assertThat(tokens.validateToken(altered, client)).isEqualTo(-1);

        byte[] otherKey = Arrays.copyOf(key, 32);
        otherKey[0] = 1;
        assertThat(new AddressTokens(otherKey, () -> nowMillis, meters).validateToken(token, client)).isEqualTo(-1);

        nowMillis += AddressTokens.LIFETIME.toMillis() + 1;
        assertThat(tokens.validateToken(token, client)).isEqualTo(-1);
        assertThat(tokens.validateToken(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), client)).isEqualTo(-1);
        assertThat(registry.get("connection.swap.address.validation").tag("result", "rejected").counter().count())
                .isEqualTo(6);
        token.release();
        altered.release();
    }

    @Test
    void theTokenFitsTheCodecsBuffer() {
        ByteBuf token = issue();
        assertThat(token.readableBytes()).isLessThanOrEqualTo(tokens.maxTokenLength());
        token.release();
    }

    private ByteBuf issue() {
        ByteBuf out = Unpooled.buffer(tokens.maxTokenLength());
        assertThat(tokens.writeToken(out, dcid, client)).isTrue();
        return out;
    }
}
