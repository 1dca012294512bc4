package io.connectionswap.worker.model;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.model.ModelEvent;
import io.connectionswap.protocol.model.ModelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.function.IntFunction;

/**
 * A backend whose token {@code n} is a function of the prompt and {@code n}, emitted at a fixed pace (the first at
 * once; {@link Pacing}: each generation on its own clock, or all in lockstep) and never beyond the subscriber's
 * demand. The stand-in model is one ({@link StandInBackend}); the benchmark plugs in another. A stop sequence ends
 * the generation (reason {@code stop}) as OpenAI's does: the text ends where the stop begins, so of the token that
 * completes it only the part before the stop is sent (nothing of it when the stop begins in earlier text, which was
 * sent already); {@code maxTokens} ends it with reason {@code length}.
 */
public final class PacedBackend implements ModelBackend {

    /** The text of token {@code sequence} (1-based) of the generation for {@code prompt}. */
    @FunctionalInterface
    public interface TokenText {
        String token(String prompt, int sequence);

        /**
         * The tokens of one generation, by sequence: override to do the work on the prompt (a hash of it) once per
         * generation instead of once per token.
         */
        default IntFunction<String> forPrompt(String prompt) {
            return sequence -> token(prompt, sequence);
        }
    }

    /** Checks a resume before any token is produced; returns null when it may go on, else why not. */
    @FunctionalInterface
    public interface ResumeCheck {
        String problem(GenerationContext context);

        ResumeCheck NONE = context -> null;
    }

    private final String name;
    private final List<String> models;
    private final Duration tokenInterval;
    private final ScheduledExecutorService scheduler;
    private final TokenText text;
    private final ResumeCheck resumeCheck;
    private final Pacing pacing;

    public PacedBackend(String name, List<String> models, Duration tokenInterval, ScheduledExecutorService scheduler,
                        TokenText text, ResumeCheck resumeCheck) {
        this(name, models, tokenInterval, scheduler, text, resumeCheck, Pacing.STAGGERED);
    }

    public PacedBackend(String name, List<String> models, Duration tokenInterval, ScheduledExecutorService scheduler,
                        TokenText text, ResumeCheck resumeCheck, Pacing pacing) {
        if (tokenInterval == null || tokenInterval.isZero() || tokenInterval.isNegative()) {
            throw new IllegalArgumentException("tokenInterval: " + tokenInterval + " (expected: > 0)");
        }
        if (models == null || models.isEmpty()) {
            throw new IllegalArgumentException("models: at least one model name is required");
        }
        this.name = name;
        this.models = List.copyOf(models);
        this.tokenInterval = tokenInterval;
        this.scheduler = scheduler;
        this.text = text;
        this.resumeCheck = resumeCheck;
        this.pacing = pacing;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> models() {
        return models;
    }

    @Override
    public Duration tokenInterval() {
        return tokenInterval;
    }

    @Override
    public Flow.Publisher<ModelEvent> generate(GenerationContext context) {
        if (context.model() != null && !models.contains(context.model())) {
            return Publishers.failed(new ModelException(ErrorCode.MODEL_NOT_FOUND, "this worker serves " + models
                    + ", not '" + context.model() + "'"));
        }
        if (context.isResume()) {
            String problem = resumeCheck.problem(context);
            if (problem != null) {
                return Publishers.failed(new ModelException(ErrorCode.RESUME_MISMATCH, problem));
            }
        }
        return subscriber -> {
            PacedSubscription subscription = new PacedSubscription(subscriber, oneThread(), tokenInterval,
                    new Emitter(context), pacing);
            subscriber.onSubscribe(subscription);
            subscription.start();
        };
    }

    /**
     * The thread a generation is paced on: one executor of a Netty group (whose {@code execute} and {@code schedule}
     * go round-robin to its loops, so a generation's ticks, requests and cancel ran at once on several threads and
     * lost demand or left a timer running when the worker had several event loops), or the scheduler itself.
     */
    private ScheduledExecutorService oneThread() {
        return scheduler instanceof EventExecutorGroup group ? group.next() : scheduler;
    }

    /** Produces the next event of one generation; one call per tick. */
    private final class Emitter implements PacedSubscription.Source {
        private final GenerationContext context;
        private final IntFunction<String> tokens;
        private final StringBuilder tail = new StringBuilder();
        private final int maxStopChars;
        private int next;
        /** A stop sequence was met: the next event is the end. */
        private boolean stopped;

        Emitter(GenerationContext context) {
            this.context = context;
            this.tokens = text.forPrompt(context.prompt());
            this.next = context.resumeAfter() + 1;
            this.maxStopChars = context.sampling().stopSequences().stream().mapToInt(String::length).max().orElse(0);
            String delivered = context.deliveredText();
            tail.append(delivered, Math.max(0, delivered.length() - maxStopChars), delivered.length());
            // a resume after a last token cut at a stop sequence (the end was not delivered): it ends there
            this.stopped = maxStopChars > 0 && context.resumeAfter() > 0
                    && !delivered.endsWith(tokens.apply(context.resumeAfter()));
        }

        @Override
        public ModelEvent next() {
            if (stopped) {
                return finished(FinishReason.STOP);
            }
            if (next > context.sampling().maxTokens()) {
                return finished(FinishReason.LENGTH);
            }
            String token = tokens.apply(next);
            String beforeStop = maxStopChars > 0 ? beforeStop(token) : null;
            if (beforeStop != null) {
                stopped = true;
                if (beforeStop.isEmpty()) {
                    return finished(FinishReason.STOP);
                }
                token = beforeStop;
            }
            next++;
            return new ModelEvent.Text(token);
        }

        @Override
        public boolean lastWasFinal() {
            return stopped || next > context.sampling().maxTokens();
        }

        /**
         * When {@code token} completes a stop sequence (one that may begin in the text before it): the part of the
         * token before the earliest such stop, empty when the stop begins before the token; else null.
         */
        private String beforeStop(String token) {
            int tokenStart = tail.length();
            tail.append(token);
            String window = tail.toString();
            int earliest = -1;
            for (String stop : context.sampling().stopSequences()) {
                int at = window.indexOf(stop);
                if (at >= 0 && (earliest < 0 || at < earliest)) {
                    earliest = at;
                }
            }
            if (earliest >= 0) {
                return token.substring(0, Math.max(0, earliest - tokenStart));
            }
            if (tail.length() > maxStopChars) {
                tail.delete(0, tail.length() - maxStopChars);
            }
            return null;
        }

        private ModelEvent finished(FinishReason reason) {
            return new ModelEvent.Finished(reason, new Usage(words(context.prompt()), next - 1));
        }
    }

    /**
     * The prompt's token count as the stand-in reports it: its whitespace-separated words, counted in one pass
     * without a string per word (a prompt of megabytes held the loop a quarter of a second with {@code split}).
     */
    static int words(String prompt) {
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < prompt.length(); i++) {
            char c = prompt.charAt(i);
            boolean space = c == ' ' || (c >= '\t' && c <= '\r'); // as regex \s: space, tab, LF, VT, FF, CR
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
        }
        return words;
    }
}
