package io.connectionswap.director.quic;

import io.connectionswap.director.metrics.DirectorMeters;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicTokenHandler;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * QUIC address validation for the director's server: a new connection's first Initial gets a Retry carrying a token
 * the client must echo, so a spoofed source address cannot make the director hold connection state or amplify
 * traffic towards a victim. The token is {@code version | expiry (epoch millis) | HMAC-SHA256 over (version, expiry,
 * client IP address, original destination connection id), cut to 16 bytes | original destination connection id}.
 * The key is 32 random bytes made at start, never stored: tokens are only good for this process, for this address,
 * and for {@link #LIFETIME}. (Netty's {@code InsecureQuicTokenHandler} signs nothing: anyone can forge its tokens.)
 */
final class AddressTokens implements QuicTokenHandler {

    /** How long a token is accepted; a Retry is answered within one round trip. */
    static final Duration LIFETIME = Duration.ofSeconds(10);

    private static final byte VERSION = 1;
    private static final int MAC_BYTES = 16;
    private static final int HEADER_BYTES = 1 + Long.BYTES + MAC_BYTES;
    /** QUIC connection ids are at most 20 bytes. */
    private static final int MAX_CONNECTION_ID_BYTES = 20;

    private final SecretKeySpec key;
    private final LongSupplier clockMillis;
    private final DirectorMeters meters;
    private final ThreadLocal<Mac> macs;

    AddressTokens(DirectorMeters meters) {
        this(randomKey(), System::currentTimeMillis, meters);
    }

    AddressTokens(byte[] keyBytes, LongSupplier clockMillis, DirectorMeters meters) {
        if (keyBytes.length < 32) {
            throw new IllegalArgumentException("key: " + keyBytes.length + " bytes (expected: >= 32)");
        }
        this.key = new SecretKeySpec(keyBytes.clone(), "HmacSHA256");
        this.clockMillis = clockMillis;
        this.meters = meters;
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
        long expiry = clockMillis.getAsLong() + LIFETIME.toMillis();
        byte[] mac = mac(expiry, address, dcid, dcid.readerIndex(), dcid.readableBytes());
        out.writeByte(VERSION).writeLong(expiry).writeBytes(mac, 0, MAC_BYTES)
                .writeBytes(dcid, dcid.readerIndex(), dcid.readableBytes());
        meters.addressValidation("issued");
        return true;
    }

    @Override
    public int validateToken(ByteBuf token, InetSocketAddress address) {
        int start = token.readerIndex();
        int connectionIdBytes = token.readableBytes() - HEADER_BYTES;
        if (connectionIdBytes < 0 || connectionIdBytes > MAX_CONNECTION_ID_BYTES || token.getByte(start) != VERSION) {
            return rejected();
        }
        long expiry = token.getLong(start + 1);
        if (clockMillis.getAsLong() > expiry) {
            return rejected();
        }
        byte[] expected = mac(expiry, address, token, start + HEADER_BYTES, connectionIdBytes);
        byte[] given = new byte[MAC_BYTES];
        token.getBytes(start + 1 + Long.BYTES, given);
        if (!MessageDigest.isEqual(given, java.util.Arrays.copyOf(expected, MAC_BYTES))) {
            return rejected();
        }
        meters.addressValidation("accepted");
        return HEADER_BYTES; // the original destination connection id follows
    }

    @Override
    public int maxTokenLength() {
        return HEADER_BYTES + MAX_CONNECTION_ID_BYTES;
    }

    private int rejected() {
        meters.addressValidation("rejected");
        return -1;
    }

    private byte[] mac(long expiry, InetSocketAddress address, ByteBuf connectionId, int index, int length) {
        Mac mac = macs.get();
        mac.update(VERSION);
        for (int shift = 56; shift >= 0; shift -= 8) {
            mac.update((byte) (expiry >>> shift));
        }
        byte[] ip = address.getAddress().getAddress();
        mac.update((byte) ip.length);
        mac.update(ip);
        byte[] id = new byte[length];
        connectionId.getBytes(index, id);
        mac.update(id);
        return mac.doFinal();
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }
}
