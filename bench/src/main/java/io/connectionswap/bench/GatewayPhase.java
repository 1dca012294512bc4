package io.connectionswap.bench;

import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.swapclient.SwapClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * {@code gateway.*}: what the OpenAI-compatible gateway adds to a stream. The same streams of the in-JVM workers'
 * timestamping model (through the bench's director) are read two ways, in alternating segments: through the gateway
 * process (HTTP/1.1 + SSE to the bench's HTTP client) and directly with the client library on the bench's own QUIC
 * connection. Both go client -> director -> worker; the difference is the gateway's hop (QUIC in, JSON chunk, SSE
 * out) and an HTTP client instead of the library. Figures per level (1 and 200 concurrent streams): time to first
 * token and per-token latency, p50 and p99, and their differences.
 */
final class GatewayPhase extends BenchPhase {


    GatewayPhase(Cluster cluster, Results results) {
        super(cluster, results);
    }

    @Override
    void run() throws Exception {
        inJvmWorkersInRotation();
        ChildProcess gateway = cluster.gateway();
        String url = GatewayProcess.baseUrl(gateway);
        Metrics director0 = cluster.metrics();
        Map<String, Object> out = new LinkedHashMap<>();
        results.put("gateway", out);
        try (SwapClient library = SwapClient.builder().directors("127.0.0.1:" + cluster.directorPort())
                .identity(TlsIdentity.of(cluster.certs(), "client")).build().start();
             SseClient http = new SseClient()) {
            int warm = cfg.gatewayLevels().stream().max(Integer::compare).orElse(1);
            Console.say("gateway: warm-up, %d streams per path", warm);
            for (GatewayLoad.Path path : GatewayLoad.Path.values()) {
                new GatewayLoad(path, warm, cfg.gatewayTokens(warm), library, http, url, cluster.logs())
                        .run(Duration.ofSeconds(1), cfg.gatewaySegment().multipliedBy(2));
            }
            for (int streams : cfg.gatewayLevels()) {
                out.put("streams_" + streams, level(streams, library, http, url));
            }
        }
        Metrics director1 = cluster.metrics();
        Metrics gatewayMetrics = gateway.metrics();
        if (director0 != null && director1 != null) {
            out.put("director_swaps_during_gateway", (long) (director1.swaps() - director0.swaps()));
        }
        if (gatewayMetrics != null) {
            out.put("gateway_sequence_errors", (long) gatewayMetrics.clientSequenceErrors());
        }
        out.put("director_client_connections_total", director1 == null ? null : (long) director1.clientConnections());
        out.put("segment_seconds", cfg.gatewaySegment().toSeconds());
        out.put("segments_per_path", cfg.gatewayPairs());
        out.put("method", "the in-JVM workers' timestamping model (text = System.nanoTime() at emit) through the bench's "
                + "director, read in alternating segments through the gateway process (POST /v1/completions, "
                + "stream=true, HTTP/1.1 SSE, the bench's asynchronous JDK HttpClient; receive time taken per SSE line "
                + "before parsing) or with the client library (SwapClient, one QUIC connection) in the bench JVM; "
                + "each stream is a request of tokens_per_request tokens (20, or streams / 2 at many streams: see "
                + "bench/README.md on stream credit) at " + cfg.tokenInterval().toMillis()
                + " ms, restarted as soon as it completes; token latency = receive - emit (one clock); ttft = request "
                + "sent -> first token received; overhead = gateway - library at the same percentile. The gateway "
                + "runs with its defaults, its per-token log line silenced (LOGGING_LEVEL_IO_CONNECTIONSWAP_CLIENT_TOKENS=WARN)");
    }

    private Map<String, Object> level(int streams, SwapClient library, SseClient http, String url) {
        Histogram viaGateway = new Histogram(3);
        Histogram viaLibrary = new Histogram(3);
        List<Double> ttftGateway = new ArrayList<>();
        List<Double> ttftLibrary = new ArrayList<>();
        long[] tokens = new long[2];
        long[] requests = new long[2];
        long problems = 0;
        List<String> examples = new ArrayList<>();
        for (int pair = 0; pair < cfg.gatewayPairs(); pair++) {
            boolean gatewayFirst = pair % 2 == 0;
            for (int leg = 0; leg < 2; leg++) {
                GatewayLoad.Path path = (leg == 0) == gatewayFirst ? GatewayLoad.Path.GATEWAY : GatewayLoad.Path.LIBRARY;
                GatewayLoad.Sample sample = new GatewayLoad(path, streams, cfg.gatewayTokens(streams), library, http,
                        url, cluster.logs())
                        .run(Duration.ofSeconds(1), cfg.gatewaySegment());
                boolean gw = path == GatewayLoad.Path.GATEWAY;
                (gw ? viaGateway : viaLibrary).add(sample.tokenLatencyNanos());
                (gw ? ttftGateway : ttftLibrary).addAll(sample.ttftMillis());
                tokens[gw ? 0 : 1] += sample.tokens();
                requests[gw ? 0 : 1] += sample.requests();
                problems += sample.problems();
                sample.problemExamples().stream().limit(3 - Math.min(3, examples.size())).forEach(examples::add);
                Console.say("gateway: %3d streams %-7s segment %d: token p50 %.0f us p99 %.0f us, ttft p50 %s ms, %d tokens, "
                                + "%d problems", streams, gw ? "gateway" : "library", pair + 1,
                        sample.tokenLatencyNanos().getValueAtPercentile(50) / 1e3,
                        sample.tokenLatencyNanos().getValueAtPercentile(99) / 1e3,
                        Stats.summary(sample.ttftMillis()).get("p50"), sample.tokens(), sample.problems());
            }
        }
        Map<String, Object> level = new LinkedHashMap<>();
        Map<String, Object> g = Stats.summary(viaGateway, 1e3);
        Map<String, Object> l = Stats.summary(viaLibrary, 1e3);
        Map<String, Object> tg = Stats.summary(ttftGateway);
        Map<String, Object> tl = Stats.summary(ttftLibrary);
        level.put("streams", streams);
        level.put("tokens_per_request", cfg.gatewayTokens(streams));
        level.put("token_overhead_p50_us", Stats.round1(Stats.num(g, "p50") - Stats.num(l, "p50")));
        level.put("token_overhead_p99_us", Stats.round1(Stats.num(g, "p99") - Stats.num(l, "p99")));
        level.put("ttft_p50_ms", tg.get("p50"));
        level.put("ttft_p99_ms", tg.get("p99"));
        level.put("ttft_overhead_p50_ms", Stats.round1(Stats.num(tg, "p50") - Stats.num(tl, "p50")));
        level.put("ttft_overhead_p99_ms", Stats.round1(Stats.num(tg, "p99") - Stats.num(tl, "p99")));
        level.put("token_latency_gateway_us", g);
        level.put("token_latency_library_us", l);
        level.put("ttft_gateway_ms", tg);
        level.put("ttft_library_ms", tl);
        level.put("tokens_gateway", tokens[0]);
        level.put("tokens_library", tokens[1]);
        level.put("requests_gateway", requests[0]);
        level.put("requests_library", requests[1]);
        level.put("problems", problems);
        level.put("problem_examples", examples);
        if (problems > 0) {
            results.error("gateway: " + problems + " failed streams at " + streams + " streams, e.g. " + examples);
        }
        return level;
    }
}
