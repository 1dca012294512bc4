package io.connectionswap.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The gateway's and the HAProxy comparison's part of the printed table. */
final class GatewayAndPeerReport {

    private GatewayAndPeerReport() {
    }

    static void append(StringBuilder out, Map<String, Object> summary) {
        Map<String, Object> gateway = Report.map(summary.get("gateway"));
        if (!gateway.isEmpty()) {
            out.append("\nGATEWAY  same streams through the gateway (HTTP/SSE) vs the client library (QUIC)    p50      p90      p99    p99.9        n\n");
            for (Map.Entry<String, Object> entry : gateway.entrySet()) {
                if (!entry.getKey().startsWith("streams_")) {
                    continue;
                }
                Map<String, Object> level = Report.map(entry.getValue());
                Object streams = level.get("streams");
                out.append(Report.row("  " + streams + " streams: token latency via gateway (us)", Report.map(level.get("token_latency_gateway_us"))));
                out.append(Report.row("  " + streams + " streams: token latency via library (us)", Report.map(level.get("token_latency_library_us"))));
                out.append(Report.row("  " + streams + " streams: time to first token via gateway (ms)", Report.map(level.get("ttft_gateway_ms"))));
                out.append(Report.row("  " + streams + " streams: time to first token via library (ms)", Report.map(level.get("ttft_library_ms"))));
                out.append(String.format(Locale.ROOT, "  %s streams: the gateway adds p50 %s us / p99 %s us per token, ttft p50 %s ms / p99 %s ms; problems %s%n",
                        streams, level.get("token_overhead_p50_us"), level.get("token_overhead_p99_us"),
                        level.get("ttft_overhead_p50_ms"), level.get("ttft_overhead_p99_ms"), level.get("problems")));
            }
        }
        Map<String, Object> peer = Report.map(summary.get("peer"));
        if (peer.isEmpty()) {
            return;
        }
        out.append("\nPEER  ").append(peer.get("haproxy_version")).append(" vs ours (gateway -> director -> openai workers), same two greedy upstreams\n");
        out.append("  streams  path      chunks/s  latency p50 us  p99 us  unmatched  cpu us/chunk (per process group)\n");
        for (Map.Entry<String, Object> entry : Report.map(peer.get("load")).entrySet()) {
            for (Map.Entry<String, Object> path : Report.map(entry.getValue()).entrySet()) {
                Map<String, Object> window = Report.map(path.getValue());
                Map<String, Object> latency = Report.map(window.get("chunk_latency_us"));
                out.append(String.format(Locale.ROOT, "  %7s  %-8s %9s %15s %7s %10s  %s%n", window.get("streams"), path.getKey(),
                        window.get("chunks_per_second"), latency.get("p50"), latency.get("p99"), latency.get("unmatched"),
                        relevant(path.getKey(), Report.map(window.get("cpu_us_per_chunk")))));
                out.append(String.format(Locale.ROOT, "  %59s  above idle: %s%n", "",
                        relevant(path.getKey(), Report.map(window.get("cpu_us_per_chunk_above_idle")))));
            }
        }
        out.append("  mid-stream kill -9 (outcomes by client; noticed = the client got an error)\n");
        for (Map.Entry<String, Object> entry : Report.map(peer.get("kill")).entrySet()) {
            Map<String, Object> scenario = Report.map(entry.getValue());
            out.append(String.format(Locale.ROOT, "  %-22s %s; longest pause p50 %s ms, max %s ms%n", entry.getKey(),
                    PeerKillRounds.line(scenario), Report.map(scenario.get("longest_pause_ms")).get("p50"),
                    Report.map(scenario.get("longest_pause_ms")).get("max")));
        }
    }

    private static String relevant(String path, Map<String, Object> perChunk) {
        List<String> groups = switch (path) {
            case "haproxy" -> List.of("haproxy", "upstreams", "bench client (bench JVM)");
            case "ours" -> List.of("director+gateway", "director", "gateway", "workers", "upstreams", "bench client (bench JVM)");
            default -> List.of("upstreams", "bench client (bench JVM)");
        };
        StringBuilder text = new StringBuilder();
        for (String group : groups) {
            if (perChunk.containsKey(group)) {
                text.append(group.replace(" (bench JVM)", "")).append(' ').append(perChunk.get(group)).append("  ");
            }
        }
        return text.toString().trim();
    }
}
