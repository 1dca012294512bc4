package io.connectionswap.protocol.log;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The {@code key=value} fields that open every connection-swap log line ({@code stream.id=7 connection.id=conn-3
 * reason=health swapping stream}), read back as fields for structured (JSON) logs.
 *
 * <p>The fields are the leading run of {@code key=value} tokens; the first token that is not one starts the message
 * text, and nothing after it is read. A key is lowercase letters, digits, {@code .} and {@code _}, starting with a
 * letter. A value is either a run of non-space characters or a double-quoted text ({@code problem="no route to
 * host"}) that ends at the first quote followed by a space or the end of the line. A value of digits (at most 18,
 * optionally signed) is a number; {@code true} and {@code false} are booleans; anything else stays text.
 *
 * <p>Four keys are also the start of other keys ({@code worker} and {@code worker.label}, {@code peer} and {@code
 * peer.cert}, {@code sequence} and {@code sequence.errors}, {@code retry.in} and {@code retry.in.max}). A document
 * store that expands dotted names into objects (Elasticsearch, OpenSearch) cannot hold both a text {@code peer} and an
 * object {@code peer}, so in JSON these take the names in {@link #JSON_NAMES}; the plain log lines keep the seed's
 * keys. {@code LogFieldsTest} reads every log line's keys from the sources and fails on a new such pair.
 */
public final class LogFields {

    /** The keys whose JSON name differs from the key, and why: the key is also the start of other keys. */
    static final Map<String, String> JSON_NAMES = Map.of(
            "worker", "worker.label",         // the seed's worker=worker-a is the worker's label
            "peer", "peer.address",           // peer=<host:port>, beside peer.cert and peer.role
            "sequence", "seq",                // the client's sequence=17 is the worker's seq=17, beside sequence.errors
            "retry.in.max", "retry.max");     // retry.in is the next wait, retry.in.max its ceiling

    private LogFields() {
    }

    /**
     * Calls {@code field} with each leading field of {@code line}, under its JSON name, in order. A name is given
     * once: a later field with a name already given is skipped.
     */
    public static void forEach(String line, BiConsumer<String, Object> field) {
        if (line == null) {
            return;
        }
        Set<String> given = new HashSet<>();
        int at = 0;
        int length = line.length();
        while (at < length) {
            int keyEnd = keyEnd(line, at);
            if (keyEnd < 0) {
                return;
            }
            int valueStart = keyEnd + 1;
            int valueEnd;
            String value;
            if (valueStart < length && line.charAt(valueStart) == '"') {
                valueEnd = closingQuote(line, valueStart + 1);
                if (valueEnd < 0) {
                    return;
                }
                value = line.substring(valueStart + 1, valueEnd);
                valueEnd++;
            } else {
                valueEnd = valueStart;
                while (valueEnd < length && line.charAt(valueEnd) != ' ') {
                    valueEnd++;
                }
                if (valueEnd == valueStart) {
                    return;
                }
                value = line.substring(valueStart, valueEnd);
            }
            String key = line.substring(at, keyEnd);
            String name = JSON_NAMES.getOrDefault(key, key);
            if (given.add(name)) {
                field.accept(name, typed(value, line.charAt(valueStart) == '"'));
            }
            at = valueEnd;
            while (at < length && line.charAt(at) == ' ') {
                at++;
            }
        }
    }

    /** The index of the {@code =} that ends a key starting at {@code from}, or -1 when no key starts there. */
    private static int keyEnd(String line, int from) {
        if (from >= line.length() || !isLowerLetter(line.charAt(from))) {
            return -1;
        }
        for (int i = from + 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '=') {
                return line.charAt(i - 1) == '.' ? -1 : i;
            }
            if (!isLowerLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_') {
                return -1;
            }
        }
        return -1;
    }

    /** The first quote at or after {@code from} that is followed by a space or the end of the line; -1 if none. */
    private static int closingQuote(String line, int from) {
        for (int i = line.indexOf('"', from); i >= 0; i = line.indexOf('"', i + 1)) {
            if (i + 1 == line.length() || line.charAt(i + 1) == ' ') {
                return i;
            }
        }
        return -1;
    }

    private static Object typed(String value, boolean quoted) {
        if (quoted) {
            return value;
        }
        if (value.equals("true") || value.equals("false")) {
            return Boolean.valueOf(value);
        }
        int digits = value.startsWith("-") ? value.length() - 1 : value.length();
        if (digits >= 1 && digits <= 18 && value.chars().skip(value.length() - digits).allMatch(Character::isDigit)) {
            return Long.valueOf(value);
        }
        return value;
    }

    private static boolean isLowerLetter(char c) {
        return c >= 'a' && c <= 'z';
    }
}
