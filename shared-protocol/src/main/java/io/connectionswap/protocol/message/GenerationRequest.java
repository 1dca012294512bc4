package io.connectionswap.protocol.message;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.connectionswap.protocol.frame.FrameType;
import io.connectionswap.protocol.model.ChatTemplate;
import io.connectionswap.protocol.tracing.TraceParent;
import java.util.List;

/**
 * The client asks for a generation, or to resume one after a swap. Sent on a new stream of the client's
 * connection, first as a new generation, then again (same id) each time the generation moves to another worker.
 *
 * @param generationId  stable across every stream of one generation
 * @param model         model to serve it ({@code stand-in}, or an upstream model name), a name a worker may
 *                      register ({@link #MODEL_NAME_RULE}); null: any worker
 * @param prompt        the prompt of a completion; null for a chat request
 * @param messages      the messages of a chat request; null for a completion
 * @param sampling      token budget and sampling parameters
 * @param resumeAfter   last sequence number the client received; 0 for a new generation
 * @param deliveredText the text of tokens {@code 1..resumeAfter} as the client received it (required on a resume):
 *                      a real model continues from prompt + this text, the stand-in checks it against its own
 * @param avoidWorker   label of the worker that just failed this generation, or null
 * @param migrations    times this generation has moved to another worker so far (the director enforces the limit)
 * @param traceparent   W3C trace context of the caller ({@link TraceParent}), or null: the parent of the span of
 *                      this leg; the director hands the worker its own leg's
 */
public record GenerationRequest(String generationId, String model, String prompt, List<ChatMessage> messages,
                                SamplingParameters sampling, int resumeAfter, String deliveredText,
                                String avoidWorker, int migrations, String traceparent,
                                Boolean tokenStream) implements Message {

    /**
     * The longest generation id, in characters: the id is echoed in every CONNECTED, END and tagged frame and in log
     * lines, which it must not outgrow (the library's ids are UUIDs of 36).
     */
    public static final int MAX_GENERATION_ID_CHARS = 256;
    /**
     * The longest model name, in characters, asked for here and registered by a worker: the director logs the name
     * and keeps per-model state (an outage, a connection's refusals) by it, and quotes it in an ERROR frame. Real
     * names are well under it: a Hugging Face repo id {@code org/name} is at most 96 characters, an OpenAI
     * (fine-tuned) model id under 100, a vLLM {@code --served-model-name} or model path likewise.
     */
    public static final int MAX_MODEL_CHARS = 256;
    /** What a model name must be, asked for here or registered by a worker ({@link #validModelName}), for messages. */
    public static final String MODEL_NAME_RULE = "1 to " + MAX_MODEL_CHARS + " printable characters";

    public GenerationRequest {
        Message.require(generationId, "generationId");
        if (generationId.length() > MAX_GENERATION_ID_CHARS) {
            throw new IllegalArgumentException("generationId: " + generationId.length() + " characters (expected: at "
                    + "most " + MAX_GENERATION_ID_CHARS + ")");
        }
        if (model != null && model.length() > MAX_MODEL_CHARS) {
            throw new IllegalArgumentException("model: " + model.length() + " characters (expected: at most "
                    + MAX_MODEL_CHARS + ")");
        }
        if (model != null && !validModelName(model)) {
            throw new IllegalArgumentException("model: '" + abbreviate(model) + "' (expected: " + MODEL_NAME_RULE
                    + ", or null for any worker)");
        }
        if ((prompt == null) == (messages == null)) {
            throw new IllegalArgumentException("exactly one of prompt and messages is required");
        }
        if (messages != null) {
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("messages must not be empty");
            }
            messages = List.copyOf(messages);
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling is required");
        }
        Message.requireNonNegative(resumeAfter, "resumeAfter");
        if (resumeAfter > sampling.maxTokens()) {
            throw new IllegalArgumentException("resumeAfter: " + resumeAfter + " (expected: <= maxTokens "
                    + sampling.maxTokens() + ")");
        }
        if (resumeAfter > 0 && deliveredText == null) {
            throw new IllegalArgumentException("deliveredText is required to resume after " + resumeAfter);
        }
        if (resumeAfter == 0 && deliveredText != null && !deliveredText.isEmpty()) {
            throw new IllegalArgumentException("deliveredText given for a new generation (resumeAfter 0)");
        }
        Message.requireNonNegative(migrations, "migrations");
        tokenStream = Boolean.TRUE.equals(tokenStream); // absent in an older client's request: false
        if (traceparent != null && !TraceParent.isValid(traceparent)) {
            throw new IllegalArgumentException("traceparent: '" + abbreviate(traceparent) + "' (expected: W3C trace "
                    + "context, 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, or null)");
        }
    }

    /**
     * Whether {@code model} is a model name ({@link #MODEL_NAME_RULE}: not blank, at most {@link #MAX_MODEL_CHARS}
     * characters, no control character): the one rule for a name a client asks for (a request naming another one is
     * malformed) and a worker registers (a director refuses the registration, the worker checks its own at start).
     * Null is no name (a request for any worker).
     */
    public static boolean validModelName(String model) {
        return model != null && !model.isBlank() && model.length() <= MAX_MODEL_CHARS
                && model.chars().noneMatch(Character::isISOControl);
    }

    /** A new completion with only a token budget: the demo loop's and the tests' request. */
    public static GenerationRequest completion(String generationId, String prompt, int maxTokens) {
        return new GenerationRequest(generationId, null, prompt, null, SamplingParameters.maxTokens(maxTokens), 0, null,
                null, 0, null, false);
    }

    /**
     * The same generation resumed after {@code lastSequence}, whose text so far is {@code delivered}, away from
     * {@code failedWorker}: one more migration.
     */
    public GenerationRequest resumedAfter(int lastSequence, String delivered, String failedWorker) {
        return new GenerationRequest(generationId, model, prompt, messages, sampling, lastSequence,
                lastSequence == 0 ? null : delivered, failedWorker, migrations + 1, traceparent, tokenStream);
    }

    /** The same request with another trace context: the director hands each worker its own leg's span as parent. */
    public GenerationRequest withTraceparent(String newTraceparent) {
        return new GenerationRequest(generationId, model, prompt, messages, sampling, resumeAfter, deliveredText,
                avoidWorker, migrations, newTraceparent, tokenStream);
    }

    /** The same request for {@code newModel}: a resume of a request that named none asks for the model that served it. */
    public GenerationRequest withModel(String newModel) {
        return new GenerationRequest(generationId, newModel, prompt, messages, sampling, resumeAfter, deliveredText,
                avoidWorker, migrations, traceparent, tokenStream);
    }

    /** The same request asking (or not) for its frames on the connection's client token stream. */
    public GenerationRequest withTokenStream(boolean onTokenStream) {
        return new GenerationRequest(generationId, model, prompt, messages, sampling, resumeAfter, deliveredText,
                avoidWorker, migrations, traceparent, onTokenStream);
    }

    @JsonIgnore
    public int maxTokens() {
        return sampling.maxTokens();
    }

    @JsonIgnore
    public boolean isResume() {
        return resumeAfter > 0;
    }

    @JsonIgnore
    public boolean isChat() {
        return messages != null;
    }

    /** The text a model continues: the completion prompt, or the chat messages through {@link ChatTemplate}. */
    @JsonIgnore
    public String promptText() {
        return messages != null ? ChatTemplate.render(messages) : prompt;
    }

    @Override
    public FrameType frameType() {
        return FrameType.GENERATE;
    }

    /** A refused value in an error message: its start, control characters shown as '?'. */
    private static String abbreviate(String value) {
        String start = value.length() <= 80 ? value : value.substring(0, 80) + "...(" + value.length() + " chars)";
        return start.replaceAll("\\p{Cntrl}", "?");
    }
}
