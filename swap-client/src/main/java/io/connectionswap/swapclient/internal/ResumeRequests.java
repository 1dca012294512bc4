package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.message.GenerationRequest;

/**
 * What a generation's next leg asks for: the generation's own request at first; then, from the text delivered so far
 * and the model that served it, the request that resumes after the last token. Loop-confined, like its
 * {@link GenerationRun}.
 */
final class ResumeRequests {

    private final StringBuilder delivered = new StringBuilder();
    /** The model the last CONNECTED named (null: none said). */
    private String servedModel;
    /** The request the next leg opens with. */
    private GenerationRequest next;

    ResumeRequests(GenerationRequest first) {
        this.next = first;
    }

    /** The request the next leg opens with. */
    GenerationRequest next() {
        return next;
    }

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
     * The next leg resumes after {@code last} tokens, on a worker other than {@code avoidWorker} (null: any); a swap
     * ({@code migration}) counts one more migration. A request that named no model asks, once tokens were delivered,
     * for the model that served them: the next worker continues that model's text (another model's worker would
     * continue it with its own, and the stand-in refuses it).
     */
    void resumeAfter(int last, String avoidWorker, boolean migration) {
        GenerationRequest request = next;
        GenerationRequest resume = migration ? request.resumedAfter(last, delivered.toString(), avoidWorker)
                : new GenerationRequest(request.generationId(), request.model(), request.prompt(), request.messages(),
                        request.sampling(), last, last == 0 ? null : delivered.toString(), avoidWorker,
                        request.migrations(), request.traceparent(), request.tokenStream());
        next = resume.model() == null && last > 0 && servedModel != null ? resume.withModel(servedModel) : resume;
    }
}
