package io.connectionswap.protocol.tracing;

/**
 * The W3C Trace Context {@code traceparent} value (https://www.w3.org/TR/trace-context/#traceparent-header):
 * {@code version-traceid-parentid-flags}, e.g. {@code 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01}.
 * A generation carries one in {@code GenerationRequest.traceparent} from the gateway to the director and on to
 * the worker, whose upstream call sends it as the HTTP header of the same name.
 */
public final class TraceParent {

    /** The HTTP header, and the propagation field, that carries it. */
    public static final String HEADER = "traceparent";

    private static final int LENGTH = 55;
    /** Longest value accepted (a later version's extra fields included): it is sent on as an HTTP header. */
    private static final int MAX_LENGTH = 256;

    private TraceParent() {
    }

    /**
     * Whether {@code value} is a {@code traceparent} a receiver may continue: two lowercase hex digits of version
     * (not {@code ff}), a trace id of 32 and a parent id of 16 lowercase hex digits (neither all zeros) and two of
     * flags, joined by dashes. Version {@code 00} is exactly 55 characters; a later version may append
     * {@code -}fields, as the specification allows (up to 256 characters of visible ASCII here).
     */
    public static boolean isValid(String value) {
        if (value == null || value.length() < LENGTH || value.length() > MAX_LENGTH) {
            return false;
        }
        if (!hex(value, 0, 2) || value.startsWith("ff") || value.charAt(2) != '-'
                || !hex(value, 3, 35) || value.charAt(35) != '-'
                || !hex(value, 36, 52) || value.charAt(52) != '-'
                || !hex(value, 53, 55)) {
            return false;
        }
        if (allZeros(value, 3, 35) || allZeros(value, 36, 52)) {
            return false;
        }
        if (value.length() == LENGTH) {
            return true;
        }
        return !value.startsWith("00") && value.charAt(LENGTH) == '-' && printable(value, LENGTH);
    }

    /** {@code value} when {@link #isValid valid}, else null: what a receiver continues (W3C: ignore an invalid one). */
    public static String validOrNull(String value) {
        return isValid(value) ? value : null;
    }

    /** The 32 hex digits of the trace id of a {@link #isValid valid} value. */
    public static String traceId(String value) {
        return value.substring(3, 35);
    }

    /** The 16 hex digits of the parent (span) id of a {@link #isValid valid} value. */
    public static String parentId(String value) {
        return value.substring(36, 52);
    }

    /** Whether the sampled flag of a {@link #isValid valid} value is set. */
    public static boolean sampled(String value) {
        return (Character.digit(value.charAt(54), 16) & 1) == 1;
    }

    private static boolean hex(String value, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean allZeros(String value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (value.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    /** Visible ASCII only: the value travels as an HTTP header. */
    private static boolean printable(String value, int from) {
        for (int i = from; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
