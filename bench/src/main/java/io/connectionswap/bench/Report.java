package io.connectionswap.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The table printed at the end of a run (summary.json has everything). */
final class Report {

    private Report() {
    }

    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> summary, Path json) {
        StringBuilder out = new StringBuilder();
        Map<String, Object> machine = map(summary.get("machine"));
        out.append("\n================================ connection-swap benchmark ================================\n");
        out.append(String.format(Locale.ROOT, "machine: %s cores, %s, %s; java %s; git %s%s; load %s -> %s%n",
                machine.get("nproc"), machine.get("cpu_model"), machine.get("os"), machine.get("java_version"),
                machine.get("git_commit"), Boolean.TRUE.equals(machine.get("git_dirty")) ? " (dirty)" : "",
                machine.get("loadavg_start"), machine.get("loadavg_end")));
        Map<String, Object> settings = map(summary.get("settings"));
        out.append(String.format(Locale.ROOT, "mode %s, token interval %s ms, director defaults (health 500 ms, stall x3, link heartbeat 100 ms)%n",
                settings.get("mode"), settings.get("token_interval_ms")));
        Map<String, Object> relay = map(summary.get("relay"));
        if (!relay.isEmpty()) {
            Map<String, Object> d = map(relay.get("direct_us"));
            Map<String, Object> p = map(relay.get("direct_process_us"));
            Map<String, Object> r = map(relay.get("director_us"));
            out.append("\nRELAY  per-token latency, worker emit -> client receive (us)      p50      p90      p99    p99.9        n\n");
            out.append(row("  direct to worker (client in its JVM)", d));
            if (!p.isEmpty()) {
                out.append(row("  direct to worker (client process)", p));
            }
            out.append(row("  through the director", r));
            out.append(String.format(Locale.ROOT, "  overhead of the director: p50 %s us, p99 %s us%n", relay.get("overhead_p50_us"),
                    relay.get("overhead_p99_us")));
            if (!p.isEmpty()) {
                out.append(String.format(Locale.ROOT, "  overhead against a client process of its own: p50 %s us, p99 %s us%n",
                        relay.get("overhead_vs_process_p50_us"), relay.get("overhead_vs_process_p99_us")));
            }
        }
        Map<String, Object> swap = map(summary.get("swap"));
        if (!swap.isEmpty()) {
            out.append("\nSWAP   extra gap beyond one token interval, client clock (ms)         p50      p90      p99      max        n   detect p50  recovery p50  reasons\n");
            Map<String, Object> causes = map(swap.get("by_cause"));
            for (String cause : List.of("drain", "kill", "hang", "health")) {
                Map<String, Object> c = map(causes.get(cause));
                if (c.isEmpty()) {
                    continue;
                }
                Map<String, Object> gap = map(c.get("gap_ms"));
                out.append(String.format(Locale.ROOT, "  %-62s %8s %8s %8s %8s %8s %12s %13s  %s%n", label(cause),
                        gap.get("p50"), gap.get("p90"), gap.get("p99"), gap.get("max"), gap.get("n"),
                        map(c.get("detect_ms")).get("p50"), map(c.get("recovery_ms")).get("p50"), c.get("reasons")));
            }
        }
        Map<String, Object> baseline = map(summary.get("baseline"));
        if (!baseline.isEmpty()) {
            out.append("\nBASELINE  RETRY received -> first token (ms)                            p50      p90      p99      max        n\n");
            out.append(row("  swap: new stream on the same connection", map(baseline.get("swap_gap_ms"))));
            out.append(row("  reconnect: new QUIC connection + handshake", map(baseline.get("reconnect_gap_ms"))));
            out.append(String.format(Locale.ROOT, "  ratio swap p50 / reconnect p50 = %s%n", baseline.get("ratio")));
        }
        Map<String, Object> scale = map(summary.get("scale"));
        if (!scale.isEmpty()) {
            out.append("\nSCALE  streams  conns  offered/s  tokens/s  p50 ms  p99 ms  director cpu  µs/token  busiest director thread      bench cpu  µs/token  heap B/stream  by class  rss B/stream  held\n");
            for (Object item : (List<Object>) scale.getOrDefault("levels", List.of())) {
                Map<String, Object> level = map(item);
                Map<String, Object> threads = map(level.get("director_busiest_threads_cores"));
                String busiest = threads.isEmpty() ? "-" : threads.entrySet().iterator().next().getKey() + " "
                        + threads.entrySet().iterator().next().getValue();
                Object byClass = map(level.get("director_heap_per_stream_by_class")).get("bytes_per_stream");
                out.append(String.format(Locale.ROOT, "  %7s %6s %10s %9s %7s %7s %13s %9s  %-28s %9s %9s %14s %9s %13s  %s%n",
                        level.get("streams"), level.get("connections"), level.get("offered_tokens_per_second"),
                        level.get("tokens_per_second"), level.get("p50_token_latency_ms"), level.get("p99_token_latency_ms"),
                        level.get("director_cpu_cores"), level.get("director_cpu_us_per_token"), busiest,
                        level.get("bench_jvm_cpu_cores"), level.get("bench_jvm_cpu_us_per_token"),
                        level.get("director_heap_bytes_per_stream"), byClass, level.get("director_rss_bytes_per_stream"),
                        Boolean.TRUE.equals(level.get("held")) ? "yes" : "NO " + level.get("failures")));
            }
            out.append(String.format(Locale.ROOT, "  held by one director: %s streams, %s tokens/s, p99 %s ms, %s heap bytes/stream "
                            + "(%s by class histogram), director CPU %s µs per relayed token, director datagrams per "
                            + "relayed token %s%n", scale.get("streams"),
                    scale.get("tokens_per_second"), scale.get("p99_token_latency_ms"),
                    scale.get("director_heap_bytes_per_stream"), scale.get("director_heap_bytes_per_stream_by_class"),
                    scale.get("director_cpu_us_per_token"), scale.get("director_datagrams_per_token")));
        }
        GatewayAndPeerReport.append(out, summary);
        Map<String, Object> checks = map(summary.get("checks"));
        if (!checks.isEmpty()) {
            out.append("\nCHECKS ").append(checks).append('\n');
        }
        List<Object> errors = (List<Object>) summary.getOrDefault("errors", List.of());
        if (!errors.isEmpty()) {
            out.append("\nERRORS\n");
            errors.forEach(e -> out.append("  ").append(e).append('\n'));
        }
        out.append("\nsummary: ").append(json).append("   (numbers from a shared 2-core machine are noisy)\n");
        System.out.println(out);
    }

    static String levelLine(Map<String, Object> level) {
        return String.format(Locale.ROOT, "%s tokens/s of %s offered, p50 %s ms, p99 %s ms, director cpu %s (%s µs/token), "
                        + "director datagrams/token %s, bench cpu %s, heap/stream %s B, held=%s %s",
                level.get("tokens_per_second"), level.get("offered_tokens_per_second"), level.get("p50_token_latency_ms"),
                level.get("p99_token_latency_ms"), level.get("director_cpu_cores"), level.get("director_cpu_us_per_token"),
                level.get("director_datagrams_per_token"), level.get("bench_jvm_cpu_cores"),
                level.get("director_heap_bytes_per_stream"), level.get("held"), level.get("failures"));
    }

    private static String label(String cause) {
        return switch (cause) {
            case "drain" -> "drain (SIGTERM)";
            case "kill" -> "crash (kill -9)";
            case "hang" -> "hang (SIGSTOP)";
            default -> "health DOWN";
        };
    }

    static String row(String title, Map<String, Object> s) {
        return String.format(Locale.ROOT, "  %-62s %8s %8s %8s %8s %8s%n", title.trim(), s.get("p50"), s.get("p90"),
                s.get("p99"), s.containsKey("p999") ? s.get("p999") : s.get("max"), s.get("n"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
