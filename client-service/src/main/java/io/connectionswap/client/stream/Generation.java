package io.connectionswap.client.stream;

import java.util.ArrayList;
import java.util.List;

/** One generation in progress: what has been received so far, across every stream and swap. Loop-confined. */
final class Generation {

    final Lane lane;
    final String id;
    final String prompt;
    final int maxTokens;
    final SequenceChecker checker = new SequenceChecker(0);
    final StringBuilder text = new StringBuilder();
    final List<String> workers = new ArrayList<>();
    final List<String> connectionIds = new ArrayList<>();
    int sequenceErrors;
    long lastTokenNanos;
    String avoidWorker;
    int migrations;

    Generation(Lane lane, String id, String prompt, int maxTokens) {
        this.lane = lane;
        this.id = id;
        this.prompt = prompt;
        this.maxTokens = maxTokens;
    }

    void servedBy(String worker, String connectionId) {
        workers.add(worker);
        if (!connectionIds.contains(connectionId)) {
            connectionIds.add(connectionId);
        }
    }

    GenerationResult result() {
        return new GenerationResult(id, prompt, text.toString(), checker.last(), List.copyOf(workers),
                List.copyOf(connectionIds), sequenceErrors);
    }
}
