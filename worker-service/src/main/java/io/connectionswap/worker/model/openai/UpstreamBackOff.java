package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream's "come back later": a completion answered 429 or 503 with {@code Retry-After} (seconds, or an HTTP
 * date) makes the worker's model health DOWN until then (at most {@link #LONGEST}), so the director sends its work
 * elsewhere instead of to an upstream that refuses it, and a client whose every worker is told to wait gets the
 * gateway's 503 with {@code Retry-After} rather than a migration-limit 502. Without {@code Retry-After} nothing
 * changes: the generation moves, the worker stays. Thread-safe: set from any stream, read by the health endpoint.
 */
final class UpstreamBackOff {

    /** The longest back-off taken from one answer; a later answer sets a new one. */
    static final Duration LONGEST = Duration.ofMinutes(5);

    private static final Logger log = LoggerFactory.getLogger(UpstreamBackOff.class);
    /** C's asctime() date, {@code Sun Nov  6 08:49:37 1994} (UTC). */
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.US)
            .withZone(ZoneOffset.UTC);

    /** Until when, and why; null when no back-off was ever asked for. */
    private record Asked(Instant until, String problem) {
    }

    private final URI uri;
    private volatile Asked asked;

    UpstreamBackOff(URI uri) {
        this.uri = uri;
    }

    /** A completion's non-2xx answer: a 429 or 503 with a usable {@code Retry-After} starts (or moves) the back-off. */
    void answered(int status, Optional<String> retryAfter, Instant now) {
        if (status != 429 && status != 503) {
            return;
        }
        Duration wait = retryAfter.map(value -> parse(value, now)).orElse(null);
        if (wait == null || wait.isZero() || wait.isNegative()) {
            return;
        }
        if (wait.compareTo(LONGEST) > 0) {
            wait = LONGEST;
        }
        Instant until = now.plus(wait);
        Asked current = asked;
        if (current != null && !current.until().isBefore(until)) {
            return; // already backing off at least that long
        }
        String problem = "upstream answered HTTP " + status + " with Retry-After: " + retryAfter.get().strip()
                + "; backing off until " + until;
        asked = new Asked(until, problem);
        LogLine.warn(log).field("upstream.url", uri).field("status", status).field("retry.after", wait)
                .field("until", until).log("upstream asked to back off; the worker reports DOWN until then");
    }

    /** Why the worker should get no work now, or null. */
    String problem(Instant now) {
        Asked current = asked;
        return current != null && now.isBefore(current.until()) ? current.problem() : null;
    }

    /** The end of the current back-off, or null. */
    Instant until(Instant now) {
        Asked current = asked;
        return current != null && now.isBefore(current.until()) ? current.until() : null;
    }

    /**
     * Seconds ({@code 120}) or an HTTP date in any of the three forms a recipient must accept (RFC 9110, 5.6.7):
     * {@code Wed, 21 Oct 2026 07:28:00 GMT}, the obsolete {@code Wednesday, 21-Oct-26 07:28:00 GMT} and
     * {@code Wed Oct 21 07:28:00 2026}; null when neither.
     */
    static Duration parse(String value, Instant now) {
        String text = value.strip();
        try {
            return Duration.ofSeconds(Long.parseLong(text));
        } catch (NumberFormatException e) {
            // not seconds: an HTTP date?
        }
        for (DateTimeFormatter form : List.of(DateTimeFormatter.RFC_1123_DATE_TIME, rfc850(now), ASCTIME)) {
            try {
                return Duration.between(now, ZonedDateTime.parse(text, form).toInstant());
            } catch (DateTimeParseException e) {
                // not this form
            }
        }
        return null;
    }

    /** RFC 850's date, whose two-digit year is never more than 50 years ahead of {@code now} (RFC 9110). */
    private static DateTimeFormatter rfc850(Instant now) {
        int year = now.atZone(ZoneOffset.UTC).getYear();
        return new DateTimeFormatterBuilder().appendPattern("EEEE, dd-MMM-")
                .appendValueReduced(ChronoField.YEAR, 2, 2, year - 49)
                .appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US).withZone(ZoneOffset.UTC);
    }
}
