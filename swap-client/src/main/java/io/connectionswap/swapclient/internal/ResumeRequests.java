package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.GenerationRequest;

/**
 * What a generation's next leg asks for: the text delivered so far and the model that served it, and from them the
 * request that resumes after the last token. Loop-confined, like its {@link GenerationRun}.
 */
final class ResumeRequests {

    private final StringBuilder delivered = new StringBuilder();
    /** The model the last CONNECTED named (null: none said). */
    private String servedModel;

    /** A token's text reached the subscriber's queue. */
    void delivered(String text) {
        delivered.append(text);
    }

    /** A CONNECTED named the model that serves the generation now (null: it did not say). */
    void servedBy(String model) {
        if (model != null) {
            servedModel = model;
        }
    }

    /**
     * The request for the next leg of {@code request} after {@code last} tokens; a swap ({@code migration}) counts one
     * more migration. A request that named no model asks, once tokens were delivered, for the model that served them:
     * the next worker continues that model's text (another model's worker would continue it with its own, and the
     * stand-in refuses it).
     */
    GenerationRequest after(GenerationRequest request, int last, String avoidWorker, boolean migration) {
        GenerationRequest next = migration ? request.resumedAfter(last, delivered.toString(), avoidWorker)
                : new GenerationRequest(request.generationId(), request.model(), request.prompt(), request.messages(),
                        request.sampling(), last, last == 0 ? null : delivered.toString(), avoidWorker,
                        request.migrations(), request.traceparent(), request.tokenStream());
        return next.model() == null && last > 0 && servedModel != null ? next.withModel(servedModel) : next;
    }
}
