package io.connectionswap.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The same mid-stream {@code kill -9} on each path: one streamed completion at a time; once the client has a random
 * number of chunks, the process serving it is killed (an upstream: the one that has the stream open; or our
 * worker in front of it), the stream is read to its end, and what the client got is compared with the unbroken
 * text. Rounds alternate two clients: the bench's SSE client (which sees {@code [DONE]}, error events and transport
 * errors) and the official OpenAI SDK (where only an exception tells the application). Then the killed process is
 * started again and the path is awaited healthy.
 */
final class PeerKillRounds {

    /** What one scenario kills, how the path is healthy again, and how the victim is restarted. */
    interface Fault {
        /** Kills what serves the open stream; returns its name, or null when no stream is open anywhere. */
        String kill();

        void restart();

        boolean pathHealthy();
    }

    private final BenchConfig cfg;
    private final SseClient http;

    PeerKillRounds(BenchConfig cfg, SseClient http) {
        this.cfg = cfg;
        this.http = http;
    }

    Map<String, Object> run(String scenario, String baseUrl, Fault fault, Supplier<String> detail) {
        List<Map<String, Object>> rounds = new ArrayList<>();
        Map<String, Map<String, Integer>> outcomes = new LinkedHashMap<>();
        Map<String, Integer> noticed = new LinkedHashMap<>();
        List<Double> pauses = new ArrayList<>();
        try (SdkClient sdk = new SdkClient(baseUrl)) {
            for (int round = 0; round < cfg.peerRounds(); round++) {
                String client = round % 2 == 0 ? "sse" : "openai_sdk";
                await(scenario + ": path healthy before round " + (round + 1), fault::pathHealthy);
                int killAt = ThreadLocalRandom.current().nextInt(10, Math.max(11, cfg.peerTokens() - 20));
                String prompt = "peer-kill " + scenario + " round " + (round + 1) + ": the process serving this stream "
                        + "is killed after " + killAt + " chunks";
                CompletionStream stream = new CompletionStream(GreedyUpstream.MODEL, prompt, cfg.peerTokens(), null);
                Thread reader = null;
                if (client.equals("sse")) {
                    http.start(baseUrl, stream);
                } else {
                    reader = new Thread(() -> sdk.read(stream), "bench-sdk-stream");
                    reader.setDaemon(true);
                    reader.start();
                }
                Waits.poll(Duration.ofSeconds(30), () -> stream.chunks >= killAt || stream.ended);
                int chunksAtKill = stream.chunks;
                String victim = stream.ended ? null : fault.kill();
                Waits.poll(Duration.ofSeconds(60), () -> stream.ended);
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("client", client);
                result.put("killed", victim);
                result.put("chunks_at_kill", chunksAtKill);
                result.put("chunks", stream.chunks);
                String outcome = !stream.ended ? "hung" : victim == null ? "not_killed" : stream.outcome();
                result.put("outcome", outcome);
                result.put("noticed", stream.noticed());
                result.put("done", stream.done);
                result.put("finish_reason", stream.finishReason);
                result.put("error", stream.transportError != null ? stream.transportError : stream.errorEvent);
                if ("exact".equals(outcome)) {
                    // the pause the kill caused, as the longest pause between two chunks of the stream (the others
                    // are one upstream gap)
                    double pause = stream.longestPauseNanos / 1e6;
                    result.put("longest_pause_ms", Stats.round1(pause));
                    pauses.add(pause);
                }
                rounds.add(result);
                if (victim != null) {
                    outcomes.computeIfAbsent(client, k -> new LinkedHashMap<>()).merge(outcome, 1, Integer::sum);
                    noticed.merge(client, stream.noticed() ? 1 : 0, Integer::sum);
                }
                Console.say("peer %s round %d/%d (%s): killed %s after %d chunks -> %s, %d chunks, noticed=%s, %s",
                        scenario, round + 1, cfg.peerRounds(), client, victim, chunksAtKill, outcome, stream.chunks,
                        stream.noticed(), stream.describe());
                if (reader != null) {
                    try {
                        reader.join(5000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (victim != null) {
                    fault.restart();
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("outcomes", outcomes);
        out.put("noticed", noticed);
        out.put("longest_pause_ms", Stats.summary(pauses));
        out.put("setup", detail.get());
        out.put("rounds", rounds);
        return out;
    }

    private static void await(String what, BooleanSupplier condition) {
        Waits.await(what, Duration.ofSeconds(120), condition, null);
    }

    static String line(Map<String, Object> scenario) {
        return String.format(Locale.ROOT, "%s, noticed %s", scenario.get("outcomes"), scenario.get("noticed"));
    }
}
