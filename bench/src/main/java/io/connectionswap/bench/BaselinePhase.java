package io.connectionswap.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code swap.by_cause.health} and {@code baseline.*}: health-DOWN swaps (the in-JVM worker serving streams turns its
 * model not-ready: Actuator health DOWN, seen by the director's poll) and, on alternate rounds, the reconnect
 * baseline: the client answers the RETRY with a new QUIC connection (handshake) and a resume request instead of a
 * new stream on its connection.
 */
final class BaselinePhase extends BenchPhase {

    /** The director's default health poll, which finds a DOWN worker. */
    static final Duration DIRECTOR_HEALTH_INTERVAL = Duration.ofMillis(500);

    private final SwapRounds rounds;

    BaselinePhase(Cluster cluster, Results results) {
        super(cluster, results);
        this.rounds = new SwapRounds(cluster, results);
    }

    @Override
    void run() {
        // samples of the same-connection rounds; reasons, skips, problems and spurious swaps of all rounds
        SwapRounds.CauseTally same = new SwapRounds.CauseTally();
        List<SwapSample> freshSamples = new ArrayList<>();
        List<Double> detectFresh = new ArrayList<>();
        double[] director0 = rounds.directorSwapGap();
        List<InJvmWorker> workers = cluster.inJvm();
        int total = cfg.swapRounds() * 2;
        for (int round = 0; round < total; round++) {
            boolean sameConnection = round % 2 == 0;
            InJvmWorker victim = workers.get((round / 2) % workers.size());
            cluster.awaitHealthy(workers.size());
            SwapRounds.RoundResult result = rounds.round("health", 2 * workers.size(), victim.label(), sameConnection,
                    () -> {
                        victim.model().ready(false);
                        return System.nanoTime();
                    }, DIRECTOR_HEALTH_INTERVAL);
            victim.model().ready(true);
            if (sameConnection) {
                same.add(result);
            } else {
                same.addCounts(result);
                for (SwapSample sample : result.samples()) {
                    freshSamples.add(sample);
                    detectFresh.add((sample.retryNanos() - result.triggerNanos()) / 1e6);
                }
            }
            if (!result.samples().isEmpty()) {
                Console.say("health round %d/%d (%s): %s", round + 1, total,
                        sameConnection ? "same connection" : "new connection", SwapRounds.describe(result.samples()));
            }
        }
        rounds.publishCause("health", same, director0, rounds.directorSwapGap(),
                "in-JVM worker's TokenModel.isReady() false -> Actuator health DOWN (503); found by the "
                        + "director's next health poll (interval 500 ms); rounds alternate with the reconnect baseline");
        results.put("baseline", baseline(same.samples, freshSamples, detectFresh));
    }

    private Map<String, Object> baseline(List<SwapSample> sameSamples, List<SwapSample> freshSamples,
                                         List<Double> detectFresh) {
        Map<String, Object> baseline = new LinkedHashMap<>();
        Map<String, Object> swapRecovery = Stats.summary(sameSamples.stream().map(s -> s.recoveryNanos() / 1e6).toList());
        Map<String, Object> reconnectRecovery = Stats.summary(freshSamples.stream().map(s -> s.recoveryNanos() / 1e6).toList());
        baseline.put("swap_gap_p50_ms", swapRecovery.get("p50"));
        baseline.put("reconnect_gap_p50_ms", reconnectRecovery.get("p50"));
        baseline.put("ratio", Stats.round3(Stats.num(swapRecovery, "p50") / Stats.num(reconnectRecovery, "p50")));
        baseline.put("swap_gap_ms", swapRecovery);
        baseline.put("reconnect_gap_ms", reconnectRecovery);
        baseline.put("swap_full_gap_ms", Stats.summary(rounds.extraGaps(sameSamples)));
        baseline.put("reconnect_full_gap_ms", Stats.summary(rounds.extraGaps(freshSamples)));
        baseline.put("reconnect_detect_ms", Stats.summary(detectFresh));
        baseline.put("method", "same health-DOWN swaps, alternate rounds; gap = RETRY received -> first token after, "
                + "client clock. swap: new stream on the existing connection + resume request; reconnect: new QUIC "
                + "connection (TLS 1.3 handshake) to the director + resume request. full_gap = last token before -> "
                + "first token after minus one token interval (includes detection)");
        return baseline;
    }
}
