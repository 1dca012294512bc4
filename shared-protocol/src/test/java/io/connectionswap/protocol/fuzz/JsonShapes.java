package io.connectionswap.protocol.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.connectionswap.protocol.frame.ErrorCode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON shaped like a message record, steered by the fuzzer: every component of the record (and of the records,
 * lists and maps inside it) gets a value of its type most of the time, and sometimes none, null, a value of another type or
 * an unknown field next to it. Raw bytes rarely make it past the JSON parser; these inputs reach the records'
 * validation and the codec's error mapping. Strings are written with {@code \\uXXXX} escapes beyond ASCII, so lone
 * surrogates and control characters reach the decoder too.
 */
final class JsonShapes {

    private static final int MAX_DEPTH = 4;
    private static final String[] WORDS = {
        "", " ", "g-1", "stand-in", "worker-a", "conn-1", "d-1", "i-1", "user", "system", "assistant", "tool",
        "developer", "length", "stop", "HEALTHY", "DRAINING", "127.0.0.1:62001", "[::1]:62001",
        "http://127.0.0.1:8081/actuator/health", "worker_a:1", "\ud800", "\udc00x", "\u0000", "a\u2028b",
    };
    private static final long[] NUMBERS = {
        0, 1, -1, 2, 4, 5, 64, 256, 257, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, Long.MAX_VALUE,
        Long.MIN_VALUE,
    };
    private static final double[] DOUBLES = {0.0, -0.0, 0.5, 1.0, 1.0000001, 2.0, 2.0000001, -1.0, 1e-300, 1e308};

    private final FuzzedDataProvider data;
    private final StringBuilder out = new StringBuilder();

    private JsonShapes(FuzzedDataProvider data) {
        this.data = data;
    }

    /** A JSON object shaped like {@code record}. */
    static String of(FuzzedDataProvider data, Class<?> record) {
        JsonShapes shapes = new JsonShapes(data);
        shapes.record(record, 0);
        return shapes.out.toString();
    }

    private void record(Class<?> type, int depth) {
        out.append('{');
        boolean first = true;
        for (RecordComponent component : type.getRecordComponents()) {
            int choice = data.consumeInt(0, 15);
            if (choice == 0) {
                continue; // absent
            }
            first = comma(first);
            string(choice == 1 ? data.consumeString(8) : component.getName());
            out.append(':');
            if (choice == 2) {
                out.append("null");
            } else if (choice == 3) {
                any(depth + 1);
            } else {
                typed(component.getGenericType(), depth + 1);
            }
        }
        if (data.consumeInt(0, 7) == 0) {
            comma(first);
            string(data.consumeString(8));
            out.append(':');
            any(depth + 1);
        }
        out.append('}');
    }

    private void typed(Type type, int depth) {
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() == List.class) {
            Type element = parameterized.getActualTypeArguments()[0];
            int size = depth > MAX_DEPTH ? 0 : data.consumeInt(0, 5);
            out.append('[');
            for (int i = 0; i < size; i++) {
                comma(i == 0);
                typedOrNull(element, depth + 1);
            }
            out.append(']');
            return;
        }
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() == Map.class) {
            Type value = parameterized.getActualTypeArguments()[1];
            int size = depth > MAX_DEPTH ? 0 : data.consumeInt(0, 5);
            out.append('{');
            for (int i = 0; i < size; i++) {
                comma(i == 0);
                // keys as a token id would be written (numbers, negative ones among them), or any text
                string(data.consumeBoolean() ? String.valueOf(data.pickValue(NUMBERS)) : data.consumeString(8));
                out.append(':');
                typedOrNull(value, depth + 1);
            }
            out.append('}');
            return;
        }
        Class<?> raw = (Class<?>) type;
        if (raw == String.class) {
            string(data.consumeBoolean() ? data.pickValue(WORDS) : data.consumeString(24));
        } else if (raw == int.class || raw == Integer.class) {
            out.append(data.consumeBoolean() ? data.consumeInt(-2, 300) : (int) data.pickValue(NUMBERS));
        } else if (raw == long.class || raw == Long.class) {
            out.append(data.consumeBoolean() ? data.consumeLong(-2, 300) : data.pickValue(NUMBERS));
        } else if (raw == double.class || raw == Double.class) {
            out.append(data.consumeBoolean() ? data.pickValue(DOUBLES) : data.consumeRegularDouble());
        } else if (raw == boolean.class || raw == Boolean.class) {
            out.append(data.consumeBoolean());
        } else if (raw == ErrorCode.class) {
            string(data.consumeBoolean() ? data.pickValue(ErrorCode.values()).name() : data.consumeString(12));
        } else if (raw.isRecord() && depth <= MAX_DEPTH) {
            record(raw, depth);
        } else {
            any(depth);
        }
    }

    /** An element of a list or map: of its type, or now and then null. */
    private void typedOrNull(Type type, int depth) {
        if (data.consumeInt(0, 15) == 0) {
            out.append("null");
        } else {
            typed(type, depth);
        }
    }

    /** Any JSON value. */
    private void any(int depth) {
        switch (data.consumeInt(0, depth > MAX_DEPTH ? 4 : 6)) {
            case 0 -> out.append("null");
            case 1 -> out.append(data.consumeBoolean());
            case 2 -> out.append(data.pickValue(NUMBERS));
            case 3 -> out.append(data.consumeRegularDouble());
            case 4 -> string(data.consumeString(16));
            case 5 -> {
                int size = data.consumeInt(0, 4);
                out.append('[');
                for (int i = 0; i < size; i++) {
                    comma(i == 0);
                    any(depth + 1);
                }
                out.append(']');
            }
            default -> {
                int size = data.consumeInt(0, 4);
                out.append('{');
                for (int i = 0; i < size; i++) {
                    comma(i == 0);
                    string(data.consumeString(8));
                    out.append(':');
                    any(depth + 1);
                }
                out.append('}');
            }
        }
    }

    private boolean comma(boolean first) {
        if (!first) {
            out.append(',');
        }
        return false;
    }

    private void string(String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
