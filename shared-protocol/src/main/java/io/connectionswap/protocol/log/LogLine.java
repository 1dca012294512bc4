package io.connectionswap.protocol.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One log line in the seed's form, {@code stream.id=7 connection.id=conn-3 reason=health swapping stream}, whose
 * fields are also SLF4J 2 key-value pairs ({@link LoggingEventBuilder#addKeyValue}) of the event:
 *
 * <pre>{@code
 * LogLine.info(log).field("stream.id", streamId).field("reason", reason).quoted("problem", e).log("swapping stream");
 * }</pre>
 *
 * <p>The plain console prints the message, which starts with the fields as {@code key=value} ({@code key="value"} for
 * {@link #quoted}); Spring Boot's structured console ({@code LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs}, {@code
 * logstash}, {@code gelf}) and any other SLF4J back end read the key-value pairs, numbers and booleans as they are,
 * anything else as its text. A line below the logger's level costs one level check and builds nothing.
 *
 * <p>Four keys are also the start of other keys ({@code worker} and {@code worker.label}, {@code peer} and {@code
 * peer.cert}, {@code sequence} and {@code sequence.errors}, {@code retry.in} and {@code retry.in.max}). A document
 * store that expands dotted names into objects (Elasticsearch, OpenSearch) cannot hold both a text {@code peer} and an
 * object {@code peer}, so their key-value pairs take the names in {@link #PAIR_NAMES}; the plain lines keep the seed's
 * keys. {@code LogLineTest} reads every key from the sources and fails on a new such pair.
 */
public final class LogLine {

    /** The keys whose key-value pair has another name, and why: the key is also the start of other keys. */
    static final Map<String, String> PAIR_NAMES = Map.of(
            "worker", "worker.label",         // the seed's worker=worker-a is the worker's label
            "peer", "peer.address",           // peer=<host:port>, beside peer.cert and peer.role
            "sequence", "seq",                // the client's sequence=17 is the worker's seq=17, beside sequence.errors
            "retry.in.max", "retry.max");     // retry.in is the next wait, retry.in.max its ceiling

    private static final LogLine DISABLED = new LogLine(null);

    /** The event the line becomes; null in the one line that is below its logger's level. */
    private final LoggingEventBuilder event;
    private final StringBuilder text;
    /** The pair names given so far: a name is given once. */
    private final List<String> names;

    private LogLine(LoggingEventBuilder event) {
        this.event = event;
        this.text = event == null ? null : new StringBuilder(128);
        this.names = event == null ? null : new ArrayList<>(8);
    }

    public static LogLine trace(Logger logger) {
        return at(logger, Level.TRACE);
    }

    public static LogLine debug(Logger logger) {
        return at(logger, Level.DEBUG);
    }

    public static LogLine info(Logger logger) {
        return at(logger, Level.INFO);
    }

    public static LogLine warn(Logger logger) {
        return at(logger, Level.WARN);
    }

    public static LogLine error(Logger logger) {
        return at(logger, Level.ERROR);
    }

    /**
     * Text from a peer made safe for a log line or a message: at most {@code max} characters (then {@code ...}),
     * control characters (line breaks among them) replaced by {@code ?}.
     */
    public static String printable(String text, int max) {
        String cut = text.length() > max ? text.substring(0, max) + "..." : text;
        StringBuilder out = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }

    /** A line at {@code level}; one that does nothing when the logger is not enabled for it. */
    public static LogLine at(Logger logger, Level level) {
        return logger.isEnabledForLevel(level) ? new LogLine(logger.atLevel(level)) : DISABLED;
    }

    /**
     * Adds {@code key=value}: for values without spaces (ids, numbers, labels, enum names). A value that has a space,
     * a double quote, an equals sign or a control character all the same (a peer's model name, a list) is written
     * {@code key="value"}, as logfmt does.
     */
    public LogLine field(String key, Object value) {
        if (event != null) {
            text.append(key).append('=');
            appendValue(value, false);
            text.append(' ');
            pair(key, value);
        }
        return this;
    }

    /** Adds {@code key="value"}: for free text (an exception's message, a reason in words). */
    public LogLine quoted(String key, Object value) {
        if (event != null) {
            text.append(key).append("=\"");
            appendValue(value, true);
            text.append("\" ");
            pair(key, value);
        }
        return this;
    }

    /**
     * Appends {@code value}'s text as logfmt writes a value: a {@link #field} value with a space, a double quote, an
     * equals sign or a control character in it is quoted, so it cannot pass for more fields
     * ({@code model=a stream.id=7}); inside quotes (those of {@link #quoted} too) double quotes, backslashes and
     * control and line-separator characters are escaped ({@code \"}, {@code \\}, {@code \n}, {@code \r},
     * {@code \t}, {@code \}{@code uXXXX}). A value from a peer (a model name, an exception's message) thus cannot
     * forge a line or a field, and a logfmt parser reads it back as it was. Text with nothing to quote or escape, as
     * most is, is appended at once.
     */
    private void appendValue(Object value, boolean quoted) {
        if (value instanceof Number || value instanceof Boolean) {
            text.append(value);
            return;
        }
        String string = String.valueOf(value);
        if (quoted) {
            appendQuotable(string);
        } else if (needsQuotes(string)) {
            text.append('"');
            appendQuotable(string);
            text.append('"');
        } else {
            text.append(string);
        }
    }

    /** Appends {@code string} as the inside of a quoted value: quotes, backslashes and control characters escaped. */
    private void appendQuotable(String string) {
        int first = 0;
        while (first < string.length() && !isEscaped(string.charAt(first))) {
            first++;
        }
        text.append(string, 0, first);
        for (int i = first; i < string.length(); i++) {
            char c = string.charAt(i);
            switch (c) {
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                case '"' -> text.append("\\\"");
                case '\\' -> text.append("\\\\");
                default -> {
                    if (isControl(c)) {
                        text.append(String.format("\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
    }

    /**
     * Whether a field value must be quoted: a space (any Unicode one), a double quote, an equals sign (a logfmt
     * parser reads {@code key=a=b} as an error) or a control character.
     */
    private static boolean needsQuotes(String string) {
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            if (c == '"' || c == '=' || Character.isSpaceChar(c) || isControl(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isEscaped(char c) {
        return c == '"' || c == '\\' || isControl(c);
    }

    private static boolean isControl(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
    }

    /** The exception whose stack trace follows the line. */
    public LogLine cause(Throwable throwable) {
        if (event != null) {
            event.setCause(throwable);
        }
        return this;
    }

    /** Logs the fields, then {@code message}. */
    public void log(String message) {
        if (event != null) {
            event.log(text.append(message).toString());
        }
    }

    /**
     * Logs the fields, then {@code format} with its {@code {}} placeholders filled from {@code arguments} (only the
     * message's: a field's value is never read as a placeholder).
     */
    public void log(String format, Object... arguments) {
        if (event != null) {
            event.log(text.append(MessageFormatter.basicArrayFormat(format, arguments)).toString());
        }
    }

    private void pair(String key, Object value) {
        String name = PAIR_NAMES.getOrDefault(key, key);
        if (names.contains(name)) {
            return;
        }
        names.add(name);
        event.addKeyValue(name, value == null || value instanceof Number || value instanceof Boolean ? value
                : value.toString());
    }
}
