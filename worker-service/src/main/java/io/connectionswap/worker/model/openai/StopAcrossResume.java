package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.model.GenerationContext;
import java.util.List;

/**
 * Stop sequences that begin in the delivered text of a resume and end in the text the resumed leg produces. The
 * upstream gets the delivered text as part of its prompt and looks for stop sequences in its own output only, so it
 * cannot see such a stop: an unbroken generation ends there (finish reason {@code stop}), the resumed one would run
 * on past it. Watches the leg's first texts until no stop begun in the delivered text can still complete.
 *
 * <p>Not thread-safe: used on one stream's serial executor.
 */
final class StopAcrossResume {

    private static final StopAcrossResume NONE = new StopAcrossResume(List.of(), "", 0);

    private final List<String> stops;
    /** The end of the delivered text a stop may begin in, then the leg's texts so far. */
    private final StringBuilder window;
    private final int tailLength;
    private final int longest;
    private boolean done;

    private StopAcrossResume(List<String> stops, String tail, int longest) {
        this.stops = stops;
        this.window = new StringBuilder(tail);
        this.tailLength = tail.length();
        this.longest = longest;
        this.done = stops.isEmpty() || tail.isEmpty();
    }

    /** The watch for {@code context}: one that never matches for a new generation or one without stop sequences. */
    static StopAcrossResume of(GenerationContext context) {
        List<String> stops = context.sampling().stopSequences();
        String delivered = context.deliveredText();
        if (!context.isResume() || stops.isEmpty() || delivered == null || delivered.isEmpty()) {
            return NONE;
        }
        int longest = stops.stream().mapToInt(String::length).max().orElse(0);
        // a stop of `longest` characters that began in the delivered text left at most longest - 1 of them there
        String tail = delivered.substring(Math.max(0, delivered.length() - (longest - 1)));
        return new StopAcrossResume(stops, tail, longest);
    }

    /**
     * Whether {@code text}, the leg's next text, completes a stop sequence that began in the delivered text. Then
     * the generation ends here, without {@code text}: all of it up to the stop's end belongs to the stop.
     */
    boolean completedBy(String text) {
        if (done) {
            return false;
        }
        window.append(text);
        for (String stop : stops) {
            int at = window.indexOf(stop, Math.max(0, tailLength - stop.length() + 1));
            if (at >= 0 && at < tailLength) {
                done = true;
                return true;
            }
        }
        // once the leg has longest - 1 characters, every stop begun in the tail has been checked whole
        done = window.length() - tailLength >= longest - 1;
        return false;
    }
}
