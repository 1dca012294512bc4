package io.connectionswap.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code peer.*}: our path side by side with what users deploy instead. Two OpenAI-compatible upstreams
 * ({@link GreedyUpstream} processes); in front of them either HAProxy ({@link Haproxy}: health checks, redispatch)
 * or our path: gateway -> director -> two workers with the openai backend, one per upstream. The same client, the
 * same load windows ({@link PeerLoad}: per-chunk latency and CPU per chunk of each process, HAProxy's and ours in the
 * same run, plus the upstreams read directly as the floor) and the same mid-stream kill -9 ({@link PeerKillRounds}).
 * The in-JVM workers are out of rotation meanwhile.
 */
final class PeerPhase extends BenchPhase {

    private final List<GreedyUpstream> upstreams = new ArrayList<>();
    private final List<WorkerProc> workers = new ArrayList<>();
    private Haproxy haproxy;

    PeerPhase(Cluster cluster, Results results) {
        super(cluster, results);
    }

    @Override
    void run() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        results.put("peer", out);
        String version = Haproxy.version(cfg.haproxy());
        out.put("haproxy_version", version);
        if (version == null) {
            results.error("peer: no HAProxy (" + cfg.haproxy() + " -v failed; bench/run.sh installs Debian's haproxy "
                    + "when it runs as root); only our path is measured");
        }
        cluster.setInJvmReady(false);
        try {
            cluster.await("in-JVM workers out of rotation", Duration.ofSeconds(20), () -> cluster.directorHealthy() == 0);
            start(version != null);
            ChildProcess gateway = cluster.gateway();
            String ours = GatewayProcess.baseUrl(gateway);
            try (SseClient http = new SseClient()) {
                sanity(http, ours, version != null);
                Map<String, List<Long>> pids = pids(gateway);
                Map<String, Double> idle = PeerLoad.idle(pids, Duration.ofSeconds(5));
                Map<String, Object> idleOut = new LinkedHashMap<>();
                idle.forEach((group, cores) -> idleOut.put(group, Stats.round3(cores)));
                out.put("idle_cpu_cores", idleOut);
                int top = cfg.peerLevels().stream().max(Integer::compare).orElseThrow();
                for (PeerLoad.Target target : targets(ours)) {
                    Console.say("peer: warm-up, %d streams via %s", top, target.name());
                    new PeerLoad(target, top, cfg.peerTokens(), http, upstreams, pids, idle)
                            .run(Duration.ofSeconds(1), cfg.peerWindow());
                }
                Map<String, Object> load = new LinkedHashMap<>();
                out.put("load", load);
                for (int streams : cfg.peerLevels()) {
                    load.put("streams_" + streams, loadLevel(streams, http, ours, pids, idle));
                }
                headline(out, load);
                Map<String, Object> kills = new LinkedHashMap<>();
                out.put("kill", kills);
                PeerKillRounds rounds = new PeerKillRounds(cfg, http);
                if (haproxy != null) {
                    kills.put("haproxy_kill_upstream", rounds.run("haproxy_kill_upstream", haproxy.baseUrl(),
                            upstreamFault(haproxy::allUp), this::haproxyCounters));
                }
                kills.put("ours_kill_upstream", rounds.run("ours_kill_upstream", ours,
                        upstreamFault(this::oursHealthy), () -> gatewayCounters(gateway)));
                kills.put("ours_kill_worker", rounds.run("ours_kill_worker", ours, workerFault(),
                        () -> gatewayCounters(gateway)));
            }
            out.put("method", method());
        } finally {
            if (haproxy != null) {
                haproxy.stop();
            }
            workers.forEach(worker -> worker.stop(Duration.ofSeconds(20)));
            upstreams.forEach(GreedyUpstream::stop);
            cluster.setInJvmReady(true);
        }
    }

    private void start(boolean withHaproxy) throws Exception {
        for (String name : List.of("upstream-a", "upstream-b")) {
            GreedyUpstream upstream = new GreedyUpstream(name, cfg.peerGap(), cluster.logs());
            upstream.start();
            upstreams.add(upstream);
        }
        for (int i = 0; i < upstreams.size(); i++) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("CONNECTION_SWAP_MODEL_BACKEND", "openai");
            env.put("CONNECTION_SWAP_UPSTREAM_URL", upstreams.get(i).baseUrl());
            env.put("CONNECTION_SWAP_UPSTREAM_MODEL", GreedyUpstream.MODEL);
            env.put("CONNECTION_SWAP_UPSTREAM_HEALTH_INTERVAL", "1s"); // as HAProxy's check interval
            WorkerProc worker = new WorkerProc(i == 0 ? "peer-a" : "peer-b", cluster, env, peerWorkerJvm());
            workers.add(worker);
            worker.start();
        }
        for (WorkerProc worker : workers) {
            cluster.await(worker.label + " ready", Duration.ofSeconds(120), worker.process::ready);
        }
        cluster.awaitHealthy(workers.size());
        if (withHaproxy) {
            Path dir = cfg.out().resolve("haproxy");
            Files.createDirectories(dir);
            haproxy = new Haproxy(cfg.haproxy(), dir, upstreams);
            haproxy.start();
        }
        Console.say("peer: upstreams, workers%s up after %.1f s", withHaproxy ? " and haproxy" : "", Console.elapsedSeconds());
    }

    /** Worker processes here run the full JIT (they carry load, not just restarts): {@code BENCH_PEER_WORKER_JAVA_OPTS}. */
    private static List<String> peerWorkerJvm() {
        String value = System.getenv("BENCH_PEER_WORKER_JAVA_OPTS");
        return List.of((value == null || value.isBlank() ? "-Xms128m -Xmx256m" : value.trim()).split("\\s+"));
    }

    /** Two exact streams per path first (warm every JVM, check the text), failing loudly if a path is broken. */
    private void sanity(SseClient http, String ours, boolean withHaproxy) throws Exception {
        List<String> urls = new ArrayList<>(List.of(ours, upstreams.get(0).baseUrl()));
        if (withHaproxy) {
            urls.add(haproxy.baseUrl());
        }
        for (String url : urls) {
            for (int i = 0; i < 2; i++) {
                CompletionStream stream = new CompletionStream(GreedyUpstream.MODEL, "peer warm-up " + i + " via " + url,
                        cfg.peerTokens(), null);
                http.start(url, stream).get(60, java.util.concurrent.TimeUnit.SECONDS);
                if (!"exact".equals(stream.outcome()) || !stream.done) {
                    throw new IllegalStateException("warm-up stream via " + url + " was not exact: " + stream.outcome()
                            + " " + stream.describe() + " " + stream.errorBody());
                }
            }
        }
    }

    private Map<String, List<Long>> pids(ChildProcess gateway) {
        Map<String, List<Long>> pids = new LinkedHashMap<>();
        if (haproxy != null) {
            pids.put("haproxy", List.of(haproxy.pid()));
        }
        pids.put("director+gateway", List.of(cluster.director().pid(), gateway.pid()));
        pids.put("director", List.of(cluster.director().pid()));
        pids.put("gateway", List.of(gateway.pid()));
        pids.put("workers", workers.stream().map(w -> w.process.pid()).toList());
        pids.put("upstreams", upstreams.stream().map(GreedyUpstream::pid).toList());
        return pids;
    }

    private List<PeerLoad.Target> targets(String ours) {
        List<PeerLoad.Target> targets = new ArrayList<>();
        targets.add(new PeerLoad.Target("direct", upstreams.stream().map(GreedyUpstream::baseUrl).toList()));
        if (haproxy != null) {
            targets.add(new PeerLoad.Target("haproxy", List.of(haproxy.baseUrl())));
        }
        targets.add(new PeerLoad.Target("ours", List.of(ours)));
        return targets;
    }

    private Map<String, Object> loadLevel(int streams, SseClient http, String ours, Map<String, List<Long>> pids,
                                          Map<String, Double> idle) {
        Map<String, Object> level = new LinkedHashMap<>();
        for (PeerLoad.Target target : targets(ours)) {
            Metrics before = cluster.metrics();
            Map<String, Object> window = new PeerLoad(target, streams, cfg.peerTokens(), http, upstreams, pids, idle)
                    .run(Duration.ofSeconds(2), cfg.peerWindow());
            Metrics after = cluster.metrics();
            if (target.name().equals("ours") && before != null && after != null) {
                // no fault is injected: a swap here is a false stall or health verdict under load
                window.put("director_swaps", after.swapsByReasonSince(before));
            }
            level.put(target.name(), window);
            Map<?, ?> latency = (Map<?, ?>) window.get("chunk_latency_us");
            Console.say("peer: %3d streams %-8s %s chunks/s, chunk latency p50 %s us p99 %s us, cpu us/chunk %s",
                    streams, target.name(), window.get("chunks_per_second"), latency == null ? null : latency.get("p50"),
                    latency == null ? null : latency.get("p99"), window.get("cpu_us_per_chunk"));
            if (!Long.valueOf(0).equals(window.get("requests_not_exact"))) {
                results.error("peer: " + window.get("requests_not_exact") + " requests not exact via " + target.name()
                        + " at " + streams + " streams (no fault injected): " + window.get("problems"));
            }
        }
        return level;
    }

    /** The figures of the highest level, flat: latency of each path and CPU per chunk of HAProxy and of ours. */
    @SuppressWarnings("unchecked")
    private void headline(Map<String, Object> out, Map<String, Object> load) {
        int top = cfg.peerLevels().stream().max(Integer::compare).orElseThrow();
        int low = cfg.peerLevels().stream().min(Integer::compare).orElseThrow();
        Map<String, Object> high = (Map<String, Object>) load.get("streams_" + top);
        Map<String, Object> single = (Map<String, Object>) load.get("streams_" + low);
        out.put("headline_streams", top);
        for (String path : List.of("direct", "haproxy", "ours")) {
            Map<String, Object> window = (Map<String, Object>) high.get(path);
            Map<String, Object> lowWindow = (Map<String, Object>) single.get(path);
            if (window == null) {
                continue;
            }
            Map<String, Object> latency = (Map<String, Object>) window.get("chunk_latency_us");
            out.put(path + "_chunk_latency_p50_us", latency.get("p50"));
            out.put(path + "_chunk_latency_p99_us", latency.get("p99"));
            Map<String, Object> lowLatency = (Map<String, Object>) lowWindow.get("chunk_latency_us");
            out.put(path + "_chunk_latency_p50_us_" + low + "_stream", lowLatency.get("p50"));
            out.put(path + "_chunk_latency_p99_us_" + low + "_stream", lowLatency.get("p99"));
        }
        if (high.get("haproxy") instanceof Map<?, ?> h) {
            out.put("haproxy_cpu_us_per_chunk", ((Map<String, Object>) h.get("cpu_us_per_chunk")).get("haproxy"));
        }
        Map<String, Object> oursPerChunk = (Map<String, Object>) ((Map<String, Object>) high.get("ours")).get("cpu_us_per_chunk");
        out.put("ours_director_gateway_cpu_us_per_chunk", oursPerChunk.get("director+gateway"));
        out.put("ours_director_cpu_us_per_chunk", oursPerChunk.get("director"));
        out.put("ours_gateway_cpu_us_per_chunk", oursPerChunk.get("gateway"));
        out.put("ours_workers_cpu_us_per_chunk", oursPerChunk.get("workers"));
        Map<String, Object> oursAboveIdle = (Map<String, Object>) ((Map<String, Object>) high.get("ours"))
                .get("cpu_us_per_chunk_above_idle");
        out.put("ours_director_gateway_cpu_us_per_chunk_above_idle", oursAboveIdle.get("director+gateway"));
        if (high.get("haproxy") instanceof Map<?, ?> h) {
            out.put("haproxy_cpu_us_per_chunk_above_idle",
                    ((Map<String, Object>) h.get("cpu_us_per_chunk_above_idle")).get("haproxy"));
        }
    }

    private PeerKillRounds.Fault upstreamFault(java.util.function.BooleanSupplier healthy) {
        GreedyUpstream[] killed = new GreedyUpstream[1];
        return new PeerKillRounds.Fault() {
            @Override
            public String kill() {
                for (GreedyUpstream upstream : upstreams) {
                    if (upstream.streamsOpen() > 0) {
                        upstream.kill9();
                        killed[0] = upstream;
                        return upstream.name;
                    }
                }
                return null;
            }

            @Override
            public void restart() {
                killed[0].start();
            }

            @Override
            public boolean pathHealthy() {
                return healthy.getAsBoolean();
            }
        };
    }

    /** Kills our worker in front of the upstream that serves the stream. */
    private PeerKillRounds.Fault workerFault() {
        WorkerProc[] killed = new WorkerProc[1];
        return new PeerKillRounds.Fault() {
            @Override
            public String kill() {
                for (int i = 0; i < upstreams.size(); i++) {
                    if (upstreams.get(i).streamsOpen() > 0) {
                        workers.get(i).process.kill9();
                        killed[0] = workers.get(i);
                        return workers.get(i).label;
                    }
                }
                return null;
            }

            @Override
            public void restart() {
                killed[0].startAndAwaitReady();
            }

            @Override
            public boolean pathHealthy() {
                return oursHealthy();
            }
        };
    }

    private boolean oursHealthy() {
        return upstreams.stream().allMatch(GreedyUpstream::alive) && cluster.directorHealthy() == workers.size();
    }

    private String haproxyCounters() {
        StringBuilder text = new StringBuilder("haproxy servers:");
        for (Map<String, String> server : haproxy.servers()) {
            text.append(' ').append(server.get("svname")).append(" status=").append(server.get("status"))
                    .append(" retries=").append(server.get("wretr")).append(" redispatches=").append(server.get("wredis"))
                    .append(" response_errors=").append(server.get("eresp"));
        }
        return text.toString();
    }

    private String gatewayCounters(ChildProcess gateway) {
        Metrics metrics = gateway.metrics();
        Metrics director = cluster.metrics();
        return "gateway swaps=" + (metrics == null ? null : (long) metrics.clientSwaps())
                + " sequence_errors=" + (metrics == null ? null : (long) metrics.clientSequenceErrors())
                + "; director client connections=" + (director == null ? null : (long) director.clientConnections());
    }

    private String method() {
        return "two GreedyLlmServer processes (test-support; next token depends on the whole text; " + cfg.peerGap().toMillis()
                + " ms between tokens; " + cfg.peerTokens() + " tokens per request) behind HAProxy ("
                + "roundrobin, option httpchk GET /health, inter 1s fall 2 rise 2, retries 3, option redispatch, "
                + "option http-no-delay, no logging) or behind ours (gateway -> director -> worker peer-a/peer-b with "
                + "CONNECTION_SWAP_MODEL_BACKEND=openai, one per upstream, upstream health every 1 s; director and "
                + "gateway with their defaults). Load windows: N streams, each restarted when it completes, read by the "
                + "bench's SSE client (JDK HttpClient, HTTP/1.1); chunk latency = arrival at the client - the upstream's "
                + "write of that token (wall clock, microseconds, matched by GreedyLlm.key of the text before the "
                + "token); direct = the same client reading the upstreams without anything in between; cpu = "
                + "utime+stime of each process over the window (/proc), per chunk = cpu / chunks delivered in the "
                + "window; _above_idle subtracts what the group used with no stream at all (idle_cpu_cores, 5 s before the "
                + "windows: health checks, heartbeats). A discarded warm-up window per path at the highest level first. "
                + "Kill rounds: one stream at a time, kill -9 of the upstream that has it open (or of our worker "
                + "in front of it) after a random 10.." + (cfg.peerTokens() - 20) + " chunks; outcome: exact = the "
                + "unbroken text, truncated = a strict beginning of it, error = an HTTP error or other text; noticed = "
                + "the client got an error signal (SSE client: transport error or error event; OpenAI SDK: an "
                + "exception); done = [DONE] seen (SSE client) or the SDK's stream ended without exception";
    }
}
