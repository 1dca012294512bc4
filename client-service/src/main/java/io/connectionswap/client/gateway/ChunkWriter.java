package io.connectionswap.client.gateway;

import io.connectionswap.protocol.message.Usage;
import io.connectionswap.swapclient.GenerationEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one generation's events into OpenAI chunks (streaming) or collects them into one body. A swap is attached
 * to the next chunk as {@code x_connection_swap.swap}; the text is exactly the tokens' text. Per request, used on
 * one thread at a time.
 */
final class ChunkWriter {

    private final OpenAiRequest request;
    private final OpenAiResponses responses;
    private final StringBuilder text = new StringBuilder();
    private final List<String> workers = new ArrayList<>();
    private final List<GenerationEvent.Swapped> swaps = new ArrayList<>();
    private GenerationEvent.Swapped pendingSwap;
    private boolean roleSent;
    private int tokens;
    private GenerationEvent.Completed completed;

    ChunkWriter(OpenAiRequest request, OpenAiResponses responses) {
        this.request = request;
        this.responses = responses;
    }

    /**
     * The SSE {@code data:} payloads for one event (none, one, or the final ones). A chat stream's role chunk goes
     * with the first token (or the end, when none came), as vLLM's does: not on the assignment, which comes before the
     * model has looked at the request, so that a request the model refuses (a prompt past its context) or that fails
     * before its first token still gets its HTTP status instead of 200 and an error event.
     */
    List<String> sse(GenerationEvent event) {
        collect(event);
        List<String> out = new ArrayList<>(3);
        if (event instanceof GenerationEvent.Token token) {
            roleChunk(out, token.worker());
            out.add(responses.chunk(token.text(), false, null, token.worker(), token.sequence(), takeSwap()).toString());
        } else if (event instanceof GenerationEvent.Completed done) {
            roleChunk(out, workers.isEmpty() ? null : workers.get(workers.size() - 1));
            out.add(responses.chunk(request.chat() ? null : "", false, done.finishReason(), null, null, takeSwap())
                    .toString());
            if (request.includeUsage()) {
                out.add(responses.usageChunk(usage()).toString());
            }
        }
        return out;
    }

    /** Remembers text, workers and swaps (for the {@code stream: false} body and the log line). */
    void collect(GenerationEvent event) {
        if (event instanceof GenerationEvent.Assigned assigned) {
            if (workers.isEmpty() || !workers.get(workers.size() - 1).equals(assigned.worker())) {
                workers.add(assigned.worker());
            }
        } else if (event instanceof GenerationEvent.Token token) {
            text.append(token.text());
            tokens = token.sequence();
        } else if (event instanceof GenerationEvent.Swapped swapped) {
            swaps.add(swapped);
            pendingSwap = swapped;
        } else if (event instanceof GenerationEvent.Completed done) {
            completed = done;
        }
    }

    /** The {@code stream: false} answer, once the generation completed. */
    String body() {
        return responses.body(text.toString(), completed.finishReason(), usage(), workers, swaps).toString();
    }

    int tokens() {
        return tokens;
    }

    List<String> workers() {
        return workers;
    }

    int swaps() {
        return swaps.size();
    }

    private void roleChunk(List<String> out, String worker) {
        if (request.chat() && !roleSent) {
            roleSent = true;
            out.add(responses.chunk("", true, null, worker, null, null).toString());
        }
    }

    private GenerationEvent.Swapped takeSwap() {
        GenerationEvent.Swapped swap = pendingSwap;
        pendingSwap = null;
        return swap;
    }

    /** The model's counts when it reported them, else the tokens delivered and no prompt count. */
    private Usage usage() {
        if (completed != null && completed.usage() != null) {
            return completed.usage();
        }
        return new Usage(0, completed == null ? tokens : completed.tokens());
    }
}
