package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.Usage;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelEvent;
import java.time.Duration;

/**
 * What the upstream has said about the end of one leg: its {@code finish_reason} and its token counts, and whether
 * that is all it has to say. The OpenAI streaming protocol's end is the {@code finish_reason} and, when the worker
 * asked for it ({@code stream_options.include_usage}), the usage chunk, which comes with the finish reason or in a
 * later chunk with no choices; {@code [DONE]} adds nothing. Not thread-safe: one leg's serial executor.
 */
final class LegEnd {

    private final GenerationContext context;
    private final boolean usageAsked;
    private String finishReason;
    /**
     * When the worker first asked for a line after the upstream's finish reason ({@code System.nanoTime()}), or -1:
     * the usage's grace counts from there, not while the worker read nothing.
     */
    private long usageAwaitedNanos = -1;
    private Usage usage;
    /** The tokens of the delivered text ({@link DeliveredTokens}): the frames delivered unless counted otherwise. */
    private int deliveredTokens;
    /** The tokens of the prompt as the upstream's tokenizer counted them, or null. */
    private Integer promptTokens;
    /** The upstream sends no usage for this leg: it was asked for no tokens, or the worker ended it at its budget. */
    private boolean noUpstreamUsage;

    LegEnd(GenerationContext context, boolean usageAsked) {
        this.context = context;
        this.usageAsked = usageAsked;
        this.deliveredTokens = context.resumeAfter();
    }

    /** What the tokenizer said of a resume's texts (the frames delivered and no prompt count when not counted). */
    void counted(DeliveredTokens.Counts counts) {
        deliveredTokens = counts.delivered();
        promptTokens = counts.prompt();
    }

    /** The tokenizer's count of the prompt, asked for once the leg ended without the upstream's usage (or null). */
    void promptCounted(Integer tokens) {
        promptTokens = tokens;
    }

    /**
     * The leg asks the upstream for no tokens (a resume after the last one), so no usage chunk comes: the counts are
     * the tokenizer's ({@link #budgetUsage}).
     */
    void noUpstreamUsage() {
        noUpstreamUsage = true;
    }

    /** Takes what {@code chunk} says of the end. */
    void seen(CompletionChunk chunk) {
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        if (chunk.finishReason() != null) {
            finishReason = chunk.finishReason();
        }
    }

    /** The worker asks for the next line at {@code nanos}: after the finish reason, the usage is awaited from now. */
    void lineAsked(long nanos) {
        if (finishReason != null && usageAwaitedNanos < 0) {
            usageAwaitedNanos = nanos;
        }
    }

    /**
     * The usage asked for has not come though the worker has asked for it (a line after the finish reason) more than
     * {@code grace} before {@code nanos}.
     */
    boolean usageOverdue(long nanos, Duration grace) {
        return usageAwaitedNanos >= 0 && !complete() && nanos - usageAwaitedNanos > grace.toNanos();
    }

    /** The worker ends the leg at a stop sequence the upstream could not see. */
    void stoppedHere() {
        finishReason = "stop";
    }

    /**
     * The worker ends the leg at its budget: the upstream went on past {@code max_tokens}. Its stream is closed, so no
     * usage chunk comes: the counts are the tokenizer's ({@link #budgetUsage}).
     */
    void budgetSpent() {
        finishReason = "length";
        noUpstreamUsage = true;
    }

    /**
     * Whether the END's counts wait for the tokenizer's count of the prompt ({@link #promptCounted}): the upstream
     * sends no usage, counts were asked for, and the prompt's tokens are not known (a resume counts them at its start).
     */
    boolean awaitsPromptCount() {
        return noUpstreamUsage && usageAsked && usage == null && promptTokens == null;
    }

    boolean hasFinishReason() {
        return finishReason != null;
    }

    /** The upstream has sent all it owes: the finish reason, and the usage if it was asked for. */
    boolean complete() {
        return finishReason != null && (usage != null || !usageAsked);
    }

    /** The leg's end after {@code produced} tokens: without a finish reason, the budget decides. */
    ModelEvent.Finished finished(int produced) {
        boolean budgetSpent = produced >= context.sampling().maxTokens() - deliveredTokens;
        FinishReason reason = finishReason != null ? FinishReason.fromWire(finishReason)
                : budgetSpent ? FinishReason.LENGTH : FinishReason.STOP;
        return new ModelEvent.Finished(reason, generationUsage());
    }

    /**
     * The whole generation's counts: on a resume the upstream counted the delivered text as prompt, so those tokens
     * move back to the completion side: as many as {@link DeliveredTokens} counted.
     */
    private Usage generationUsage() {
        Usage leg = usage != null ? usage : budgetUsage();
        if (leg == null) {
            return null;
        }
        int delivered = deliveredTokens;
        return new Usage(Math.max(0, leg.promptTokens() - delivered), leg.completionTokens() + delivered);
    }

    /**
     * The leg's counts when the upstream sends none ({@link #noUpstreamUsage}, {@link #budgetSpent}), or null (not
     * asked for, or the prompt not counted). The budget is spent then: a resume after the last token has none left,
     * and a leg ended at its budget sent a frame for each token left, each frame holding one at least. So the leg's
     * counts are those the upstream gives a leg that spends its {@code max_tokens}: the prompt (the tokenizer's count,
     * the one the upstream's usage gives) and the delivered text as prompt, the tokens left as completion.
     */
    private Usage budgetUsage() {
        if (!noUpstreamUsage || !usageAsked || promptTokens == null) {
            return null;
        }
        return new Usage(promptTokens + deliveredTokens, Math.max(0, context.sampling().maxTokens() - deliveredTokens));
    }
}
