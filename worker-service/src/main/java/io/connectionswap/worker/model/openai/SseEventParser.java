package io.connectionswap.worker.model.openai;

/**
 * Assembles Server-Sent Events from lines (the HTTP client splits the body at CR, LF or CRLF), as the WHATWG
 * event-stream rules say: {@code data:} lines of one event are joined with a newline, a blank line ends the event,
 * lines starting with {@code :} are comments (keep-alives), other fields ({@code event}, {@code id},
 * {@code retry}) are ignored, one space after the colon is dropped. An event whose data would pass
 * {@code maxEventChars} is an error: a broken upstream cannot make the worker buffer without bound. Not thread-safe:
 * one parser per response.
 */
final class SseEventParser {

    private final int maxEventChars;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
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
        if (!"data".equals(field)) {
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
        if (!hasData) {
            return null;
        }
        String event = data.toString();
        data.setLength(0);
        hasData = false;
        return event;
    }
}
