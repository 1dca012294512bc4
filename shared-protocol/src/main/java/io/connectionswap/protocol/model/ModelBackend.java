package io.connectionswap.protocol.model;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * A model behind a worker. A worker serves exactly one backend; its model names travel with the worker's
 * registration. {@link #generate} is asynchronous and demand-driven: it returns at once, and the publisher emits
 * {@link ModelEvent}s at the model's own pace, never more than the subscriber requested. Cancelling the
 * subscription (the client left, or the director moved the generation) must stop the work.
 *
 * <p>On a resume ({@link GenerationContext#isResume()}) the backend continues after the delivered text: tokens
 * {@code resumeAfter + 1 ..} follow exactly, so the client's text is what one unbroken generation would have given.
 */
public interface ModelBackend {

    /** Name of the backend in logs and health ({@code stand-in}, {@code openai}). */
    String name();

    /** Model names this backend serves. */
    List<String> models();

    /**
     * The fixed time between two tokens when the backend keeps one (the stand-in); {@code null} when the model sets
     * its own pace. The director tunes its per-stream stall watch from it.
     */
    default Duration tokenInterval() {
        return null;
    }

    /** Starts a generation; never blocks. */
    Flow.Publisher<ModelEvent> generate(GenerationContext context);

    /** Whether the backend can serve now; reported in the worker's health (DOWN takes it out of rotation). */
    default boolean isReady() {
        return true;
    }

    /** A short reason when not ready, for health details. */
    default String problem() {
        return null;
    }
}
