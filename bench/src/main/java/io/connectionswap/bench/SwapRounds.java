package io.connectionswap.bench;

import io.connectionswap.bench.GenStream.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * {@code swap.*}: one swap round, the figures of one cause, and the {@code swap} section they go in. Used by the
 * health rounds ({@link BaselinePhase}) and the worker-process faults ({@link ProcessSwapPhase}).
 */
final class SwapRounds {

    record RoundResult(List<SwapSample> samples, long triggerNanos, long problems, long spurious) {
    }

    /** Everything one cause collected over its rounds. */
    static final class CauseTally {
        final List<SwapSample> samples = new ArrayList<>();
        final List<Double> detect = new ArrayList<>();
        final Map<String, Integer> reasons = new LinkedHashMap<>();
        int skipped;
        long problems;
        long spurious;

        /** The round's samples and its counts. */
        void add(RoundResult result) {
            addCounts(result);
            for (SwapSample sample : result.samples()) {
                samples.add(sample);
                detect.add((sample.retryNanos() - result.triggerNanos()) / 1e6);
            }
        }

        /** Only the round's counts: problems, spurious swaps, a skipped round, the reasons seen. */
        void addCounts(RoundResult result) {
            problems += result.problems();
            spurious += result.spurious();
            if (result.samples().isEmpty()) {
                skipped++;
            }
            for (SwapSample sample : result.samples()) {
                reasons.merge(sample.reason(), 1, Integer::sum);
            }
        }
    }

    private final Cluster cluster;
    private final BenchConfig cfg;
    private final Results results;

    SwapRounds(Cluster cluster, Results results) {
        this.cluster = cluster;
        this.cfg = cluster.cfg();
        this.results = results;
    }

    /**
     * One swap round: fresh generations spread over the healthy workers by the director, the fault applied to
     * {@code victim} at a random moment (the fault returns when it is in place), and every generation that was on
     * the victim then followed until its first token from the next worker. Swaps not caused by the fault (before
     * it, off another worker, or for a reason the fault cannot cause: e.g. a stall while a DOWN worker still
     * streams, which a loaded machine produces) are counted as spurious and left out.
     */
    RoundResult round(String cause, int streams, String victim, boolean sameConnection, LongSupplier fault,
                      Duration jitter) {
        StreamSink sink = new StreamSink(false);
        List<GenStream> gens = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            GenStream gen = new GenStream(i, Target.DIRECTOR, cluster.directorConn(), sink, cluster.clients(),
                    cluster.directorPort());
            gen.resumeOnSameConnection(sameConnection);
            gen.keepDeliveredText(); // the worker processes' stand-in checks it
            gens.add(gen);
            gen.open();
        }
        Set<String> expected = switch (cause) {
            case "health" -> Set.of("health");
            case "drain" -> Set.of("drain");
            default -> null; // a crash or a hang may be found by any signal
        };
        try {
            cluster.await(cause + " round: streams flowing", Duration.ofSeconds(30),
                    () -> gens.stream().allMatch(g -> g.tokensReceived >= 5));
            Waits.sleep(Duration.ofNanos(ThreadLocalRandom.current().nextLong(Math.max(1, jitter.toNanos()))));
            List<GenStream> onVictim = gens.stream().filter(g -> victim.equals(g.worker)).toList();
            if (onVictim.isEmpty()) {
                Console.say("%s round: no stream on %s at the moment of the fault; skipping", cause, victim);
                return new RoundResult(List.of(), 0, sink.problems(), sink.swaps.size());
            }
            long trigger = fault.getAsLong(); // the moment the fault is in place
            Predicate<SwapSample> moved = sample -> victim.equals(sample.failedWorker())
                    && sample.retryNanos() >= trigger;
            Predicate<SwapSample> caused = moved.and(sample -> expected == null || expected.contains(sample.reason()));
            boolean done = Waits.poll(Duration.ofSeconds(20),
                    () -> sink.swaps.stream().filter(moved).count() >= onVictim.size());
            List<SwapSample> samples = sink.swaps.stream().filter(caused).toList();
            if (!done) {
                results.error(String.format(Locale.ROOT, "%s: %d of %d streams on %s resumed within 20 s of the fault",
                        cause, sink.swaps.stream().filter(moved).count(), onVictim.size(), victim));
            }
            long spurious = sink.swaps.stream().filter(caused.negate()).count();
            if (spurious > 0) {
                Console.say("%s round: %d swaps not caused by the fault (not counted): %s", cause, spurious,
                        describe(sink.swaps.stream().filter(caused.negate()).toList()));
            }
            return new RoundResult(samples, trigger, sink.problems(), spurious);
        } finally {
            gens.forEach(GenStream::cancel);
            sink.closeExtraConnections();
            cluster.settleDirector();
        }
    }

    /** {@code swap.by_cause.<cause>} and {@code swap.<cause>_gap_p50_ms/_p99_ms}. */
    Map<String, Object> publishCause(String cause, CauseTally tally, double[] director0, double[] director1,
                                     String fault) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("gap_ms", Stats.summary(extraGaps(tally.samples)));
        out.put("detect_ms", Stats.summary(tally.detect));
        out.put("recovery_ms", Stats.summary(tally.samples.stream().map(s -> s.recoveryNanos() / 1e6).toList()));
        out.put("rounds", cfg.swapRounds());
        out.put("skipped_rounds", tally.skipped);
        out.put("reasons", tally.reasons);
        out.put("problems", tally.problems);
        out.put("spurious_swaps", tally.spurious);
        double count = director1[0] - director0[0];
        out.put("director_swap_gap_mean_ms", count > 0 ? Stats.round1((director1[1] - director0[1]) / count * 1000) : null);
        out.put("director_swap_gap_count", (long) count);
        out.put("fault", fault);
        causes().put(cause, out);
        Map<?, ?> gaps = (Map<?, ?>) out.get("gap_ms");
        swapSection().put(cause + "_gap_p99_ms", gaps.get("p99"));
        swapSection().put(cause + "_gap_p50_ms", gaps.get("p50"));
        return out;
    }

    /** Last token before to first token after, minus one token interval, in ms. */
    List<Double> extraGaps(List<SwapSample> samples) {
        long interval = cfg.tokenInterval().toNanos();
        return samples.stream().map(s -> s.extraGapNanos(interval) / 1e6).toList();
    }

    /** count and sum (seconds) of the director's swap gap histogram. */
    double[] directorSwapGap() {
        Metrics metrics = cluster.metrics();
        return metrics == null ? new double[] {0, 0} : metrics.swapGap();
    }

    private Map<String, Object> swapSection() {
        Map<String, Object> swap = results.section("swap");
        if (!swap.containsKey("method")) {
            swap.put("method", "bench client clock: gap = (first token after the swap - last token before) - one token "
                    + "interval (" + cfg.tokenInterval().toMillis() + " ms); detect = fault applied -> RETRY received; "
                    + "recovery = RETRY received -> first token after. Exact samples, nearest-rank percentiles "
                    + "(with few samples p99 is the maximum). Director defaults: health interval 500 ms, stall factor 3, "
                    + "link heartbeat 100 ms");
            swap.put("by_cause", new LinkedHashMap<String, Object>());
        }
        return swap;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> causes() {
        return (Map<String, Object>) swapSection().get("by_cause");
    }

    static String describe(List<SwapSample> samples) {
        if (samples.isEmpty()) {
            return "no swap";
        }
        StringBuilder text = new StringBuilder();
        for (SwapSample s : samples) {
            text.append(String.format(Locale.ROOT, "[%s -> %s %s recovery %.1f ms] ", s.failedWorker(), s.newWorker(),
                    s.reason(), s.recoveryNanos() / 1e6));
        }
        return text.toString().trim();
    }
}
