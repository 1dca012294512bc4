package io.connectionswap.worker.model.openai;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each event of a leg's stream does to the leg ({@link UpstreamCompletion}): a chunk's text goes to the client
 * as a token within the leg's budget ({@link LegBudget}); {@code [DONE]}, the upstream's complete end ({@link LegEnd})
 * or a stop sequence begun before a resume ({@link StopAcrossResume}) ends the leg; a chunk it cannot act on
 * ({@link LegChunks}) or an aborted request fails it; a text past the budget before the upstream's finish reason ends
 * it at the budget, as the upstream should have ({@code length}), its stream closed so that it stops generating
 * ({@link IgnoredMaxTokens} says once that it ignores {@code max_tokens}), the END's counts the budget's and the
 * tokenizer's ({@link LegEnd#budgetSpent}). The first chunk that names a model is checked against the one asked for
 * ({@link AnsweringModels}). Confined to the leg's serial executor.
 */
final class LegChunkHandler {

    private static final Logger log = LoggerFactory.getLogger(LegChunkHandler.class);

    private final Upstream upstream;
    private final GenerationContext context;
    private final SerialExecutor serial;
    /** Takes the requests beside the completion, which are cancelled with the leg. */
    private final Consumer<CompletableFuture<?>> asides;
    private final LegChunks chunks;
    private final StopAcrossResume stopAcrossResume;
    private final LegBudget budget;
    private final LegEnd end;
    private final LegDownstream downstream;
    private final LegLifecycle leg;
    private boolean modelChecked;
    /** The leg ended at its budget and its END waits for the tokenizer's count of the prompt. */
    private boolean awaitingPromptCount;

    /** {@code downstream}: the leg's subscriber, sent the tokens; {@code leg}: its lifecycle, ended here. */
    LegChunkHandler(LegScope scope, LegProgress progress, LegDownstream downstream, LegLifecycle leg) {
        this.upstream = scope.upstream();
        this.context = scope.context();
        this.serial = scope.serial();
        this.asides = scope.asides();
        this.chunks = new LegChunks(upstream.json(), scope.errors(), context);
        this.stopAcrossResume = StopAcrossResume.of(context);
        this.budget = progress.budget();
        this.end = progress.end();
        this.downstream = downstream;
        this.leg = leg;
    }

    /** Whether the leg, ended at its budget, waits for the tokenizer's count of the prompt: no timeout applies. */
    boolean awaitingPromptCount() {
        return awaitingPromptCount;
    }

    void onEvent(SseEventParser.Event event) {
        CompletionChunk chunk;
        try {
            chunk = chunks.read(event, budget.produced());
        } catch (ModelException failure) {
            leg.fail(failure);
            return;
        }
        if (chunk.done()) {
            leg.finish();
            return;
        }
        if (budget.pastBudget(chunk, end.hasFinishReason())) {
            endAtBudget(); // the upstream ignores max_tokens
            return;
        }
        if (chunk.aborted()) {
            if (chunk.isToken()) {
                emitText(chunk.text());
            }
            leg.fail(chunks.aborted(chunk, budget.produced()));
            return;
        }
        end.seen(chunk);
        if (!modelChecked && chunk.model() != null) {
            modelChecked = true; // once a leg: the first chunk that names a model speaks for the rest
            upstream.answeringModels().answered(upstream.settings().model(), chunk.model());
        }
        if (chunk.isToken() && stopAcrossResume.completedBy(chunk.text())) {
            // a stop begun in the delivered text ends here: the unbroken generation ended too; the upstream goes on
            LogLine.debug(log).field("generation.id", context.generationId()).field("produced", budget.produced())
                    .log("a stop sequence that began before the resume ends here; finishing");
            end.stoppedHere();
            leg.finishAndCloseUpstream();
            return;
        }
        if (chunk.isToken()) {
            emitText(chunk.text());
        }
        if (end.complete()) {
            leg.finish(); // complete: [DONE] would add nothing, and an upstream may never send it
        }
    }

    /**
     * A token past the leg's budget: the upstream ignores {@code max_tokens}. The generation ends here, as the
     * upstream should have ended it ({@code length}), and its stream is closed so that it stops generating.
     */
    private void endAtBudget() {
        upstream.ignoredMaxTokens().seen(budget.remaining());
        LogLine.debug(log).field("generation.id", context.generationId()).field("max.tokens", budget.remaining())
                .field("upstream.url", upstream.settings().completionsUri())
                .log("upstream sent more tokens than asked for; ending the generation at its budget");
        end.budgetSpent();
        if (!end.awaitsPromptCount()) {
            leg.finishAndCloseUpstream();
            return;
        }
        // no usage comes from the closed stream: the END waits for the tokenizer's count of the prompt (milliseconds,
        // at most DeliveredTokens.TIMEOUT); the upstream stops at once, and what it still sends is dropped
        awaitingPromptCount = true;
        leg.closeUpstream();
        upstream.deliveredTokens().promptTokens(upstream, context, asides).whenComplete((tokens, failure) ->
                serial.execute(() -> finishCounted(tokens)));
    }

    /** A leg ended at its budget ends here, with the prompt's {@code tokens} (null: not counted, no counts). */
    private void finishCounted(Integer tokens) {
        if (leg.over()) {
            return;
        }
        awaitingPromptCount = false;
        end.promptCounted(tokens);
        leg.finish();
    }

    /** Sends {@code text} as a token, unless the budget is spent or it is no token of its own ({@link LegBudget}). */
    private void emitText(String text) {
        String token = budget.token(text);
        if (token != null) {
            downstream.text(token);
        }
    }
}
