package io.connectionswap.worker.model.openai;

/**
 * Assembles Server-Sent Events from lines (the HTTP client splits the body at CR, LF or CRLF), as the WHATWG
 * event-stream rules say: {@code data:} lines of one event are joined with a newline, a blank line ends the event,
 * lines starting with {@code :} are comments (keep-alives), other fields ({@code event}, {@code id},
 * {@code retry}) are ignored, one space after the colon is dropped. An {@code error} field (llama.cpp's server reports
 * a failure inside its stream so, then sends {@code data: [DONE]}) makes the event the error chunk others send,
 * {@code {"error": value}} (a value that is no JSON object becomes its message). An event whose data would pass
 * {@code maxEventChars} is an error: a broken upstream cannot make the worker buffer without bound. Not thread-safe:
 * one parser per response.
 */
final class SseEventParser {

    private final int maxEventChars;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    /** The event's data is an {@code error} field's value. */
    private boolean error;
    private boolean firstLine = true;

    SseEventParser(int maxEventChars) {
        if (maxEventChars <= 0) {
            throw new IllegalArgumentException("maxEventChars: " + maxEventChars + " (expected: > 0)");
        }
        this.maxEventChars = maxEventChars;
    }

    /** Feeds one line (without its terminator); returns the data of the event it completes, or null. */
    String line(String line) {
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
        boolean errorField = "error".equals(field);
        if (!"data".equals(field) && !errorField) {
            return null;
        }
        if (errorField && !error) {
            error = true; // what the event's data said before is superseded by the error
            data.setLength(0);
            hasData = false;
        } else if (!errorField && error) {
            return null;
        }
        int valueStart = colon < 0 ? line.length() : colon + 1;
        if (valueStart < line.length() && line.charAt(valueStart) == ' ') {
            valueStart++;
        }
        if (hasData) {
            data.append('\n');
        }
        data.append(line, valueStart, line.length());
        hasData = true;
        if (data.length() > maxEventChars) {
            throw new IllegalStateException("event data passes " + maxEventChars + " characters");
        }
        return null;
    }

    /** The body ended: the data of an event that was not followed by a blank line, or null. */
    String end() {
        return dispatch();
    }

    private String dispatch() {
        boolean wasError = error;
        error = false;
        if (!hasData) {
            return null;
        }
        String event = data.toString();
        data.setLength(0);
        hasData = false;
        if (wasError) {
            String value = event.strip();
            return "{\"error\":" + (value.startsWith("{") ? value : "{\"message\":" + jsonString(value) + "}") + "}";
        }
        return event;
    }

    private static String jsonString(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
