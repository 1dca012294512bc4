package io.connectionswap.worker.model.openai;

/**
 * Assembles Server-Sent Events from lines (the HTTP client splits the body at CR, LF or CRLF), as the WHATWG
 * event-stream rules say: {@code data:} lines of one event are joined with a newline, a blank line ends the event,
 * lines starting with {@code :} are comments (keep-alives), the last {@code event} field names the event's type,
 * other fields ({@code id}, {@code retry}) are ignored, one space after the colon is dropped. An event is an error
 * when its type is {@code error} ({@code event: error}, then its data), or when it has an {@code error} field
 * (llama.cpp's server reports a failure inside its stream so, then sends {@code data: [DONE]}): the lines of that
 * field are its data, joined like {@code data:} lines, and its {@code data:} lines are dropped. What an error's data
 * says is {@link CompletionChunk#parseError}'s to read. An event whose data would pass {@code maxEventChars} is an
 * error: a broken upstream cannot make the worker buffer without bound. Not thread-safe: one parser per response.
 */
final class SseEventParser {

    /** One event: its data, and whether it is an error. */
    record Event(String data, boolean error) {
    }

    private final int maxEventChars;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    /** The event's data is an {@code error} field's value. */
    private boolean errorField;
    /** The event's type, from its last {@code event} field; null: none (a message). */
    private String type;
    private boolean firstLine = true;

    SseEventParser(int maxEventChars) {
        if (maxEventChars <= 0) {
            throw new IllegalArgumentException("maxEventChars: " + maxEventChars + " (expected: > 0)");
        }
        this.maxEventChars = maxEventChars;
    }

    /** Feeds one line (without its terminator); returns the event it completes, or null. */
    Event line(String line) {
        if (firstLine) {
            firstLine = false;
            if (!line.isEmpty() && line.charAt(0) == '\uFEFF') {
                line = line.substring(1);
            }
        }
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.charAt(0) == ':') {
            return null;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        int valueStart = colon < 0 ? line.length() : colon + 1;
        if (valueStart < line.length() && line.charAt(valueStart) == ' ') {
            valueStart++;
        }
        switch (field) {
            case "event" -> type = line.substring(valueStart);
            case "data" -> {
                if (!errorField) {
                    append(line, valueStart);
                }
            }
            case "error" -> {
                if (!errorField) {
                    errorField = true; // what the event's data said before is superseded by the error
                    data.setLength(0);
                    hasData = false;
                }
                append(line, valueStart);
            }
            default -> {
            }
        }
        return null;
    }

    /** The body ended: the event that was not followed by a blank line, or null. */
    Event end() {
        return dispatch();
    }

    private void append(String line, int valueStart) {
        if (hasData) {
            data.append('\n');
        }
        data.append(line, valueStart, line.length());
        hasData = true;
        if (data.length() > maxEventChars) {
            throw new IllegalStateException("event data passes " + maxEventChars + " characters");
        }
    }

    private Event dispatch() {
        boolean error = errorField || "error".equals(type);
        errorField = false;
        type = null;
        if (!hasData) {
            return null;
        }
        String event = data.toString();
        data.setLength(0);
        hasData = false;
        return new Event(event, error);
    }
}
