package io.connectionswap.protocol.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The few DER encodings an X.509 certificate needs (ITU-T X.690), for {@link DevelopmentPki}. */
final class Der {

    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final Instant UTC_TIME_END = Instant.parse("2050-01-01T00:00:00Z");

    private Der() {
    }

    static byte[] sequence(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    static byte[] integer(BigInteger value) {
        return tlv(0x02, value.toByteArray());
    }

    static byte[] bool(boolean value) {
        return tlv(0x01, new byte[] {(byte) (value ? 0xFF : 0x00)});
    }

    static byte[] octetString(byte[] content) {
        return tlv(0x04, content);
    }

    /** A BIT STRING of whole bytes, or of named bits where the last {@code unusedBits} bits of the last byte are 0. */
    static byte[] bitString(byte[] content, int unusedBits) {
        return tlv(0x03, concat(new byte[] {(byte) unusedBits}, content));
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base128(out, 40L * Long.parseLong(arcs[0]) + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            base128(out, Long.parseLong(arcs[i]));
        }
        return tlv(0x06, out.toByteArray());
    }

    /** UTCTime before 2050, GeneralizedTime from then on (RFC 5280, 4.1.2.5). */
    static byte[] time(Instant instant) {
        return instant.isBefore(UTC_TIME_END)
                ? tlv(0x17, UTC_TIME.format(instant).getBytes(StandardCharsets.US_ASCII))
                : tlv(0x18, GENERALIZED_TIME.format(instant).getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code [tag] EXPLICIT}: a constructed context-specific wrapper. */
    static byte[] explicit(int tag, byte[] inner) {
        return tlv(0xA0 | tag, inner);
    }

    /** {@code [tag] IMPLICIT} of a primitive type: the content under a context-specific tag. */
    static byte[] implicit(int tag, byte[] content) {
        return tlv(0x80 | tag, content);
    }

    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** The contents of the one TLV {@code der} holds (short or long length form). */
    static byte[] contents(byte[] der) {
        int[] header = header(der, 0);
        return java.util.Arrays.copyOfRange(der, header[0], header[0] + header[1]);
    }

    /**
     * The key bits of a SubjectPublicKeyInfo ({@code SEQUENCE { AlgorithmIdentifier, BIT STRING }}): the BIT STRING's
     * contents without its unused-bits byte.
     */
    static byte[] subjectPublicKeyBits(byte[] spki) {
        int[] outer = header(spki, 0);
        int[] algorithm = header(spki, outer[0]);
        int[] bits = header(spki, algorithm[0] + algorithm[1]);
        if (spki[algorithm[0] + algorithm[1]] != 0x03) {
            throw new IllegalArgumentException("not a SubjectPublicKeyInfo: no BIT STRING after the algorithm");
        }
        return java.util.Arrays.copyOfRange(spki, bits[0] + 1, bits[0] + bits[1]);
    }

    /** {contents offset, contents length} of the TLV starting at {@code offset}. */
    private static int[] header(byte[] der, int offset) {
        int length = der[offset + 1] & 0xFF;
        int start = offset + 2;
        if (length >= 0x80) {
            int bytes = length & 0x7F;
            length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (der[start + i] & 0xFF);
            }
            start += bytes;
        }
        if (start + length > der.length) {
            throw new IllegalArgumentException("truncated DER: " + length + " bytes at " + start + " of " + der.length);
        }
        return new int[] {start, length};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static void base128(ByteArrayOutputStream out, long value) {
        int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            int group = (int) ((value >>> (7 * i)) & 0x7F);
            out.write(i == 0 ? group : group | 0x80);
        }
    }
}
