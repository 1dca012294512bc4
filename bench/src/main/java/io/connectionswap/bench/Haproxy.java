package io.connectionswap.bench;

import io.connectionswap.testsupport.net.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * HAProxy (Debian's {@code haproxy} 2.6) as users put it in front of OpenAI-compatible servers: HTTP mode, round
 * robin over the upstreams, active health checks ({@code GET /health} every 1 s, down after 2 failures, up after 2
 * passes), {@code retries 3} with {@code option redispatch}, generous client and server timeouts for long streams,
 * {@code option http-no-delay} (without it HAProxy lets the kernel hold small writes for up to ~200 ms: SSE chunks
 * arrived ~100 ms late at p50 in a trial run here), no logging. A stats listener (CSV) tells when every server is UP.
 */
final class Haproxy {

    private final String binary;
    private final Path config;
    private final Path log;
    private final List<GreedyUpstream> upstreams;
    private final int port = Ports.freeTcpPort();
    private final int statsPort = Ports.freeTcpPort();
    private ChildProcess process;

    Haproxy(String binary, Path dir, List<GreedyUpstream> upstreams) {
        this.binary = binary;
        this.config = dir.resolve("bench-haproxy.cfg");
        this.log = dir.resolve("haproxy.log");
        this.upstreams = List.copyOf(upstreams);
    }

    /** {@code haproxy -v}'s first line, or null when there is no such program. */
    static String version(String binary) {
        try {
            Process process = new ProcessBuilder(binary, "-v").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return out.lines().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    void start() {
        try {
            Files.writeString(config, configText(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        process = new ChildProcess("haproxy", List.of(binary, "-db", "-f", config.toString()), Map.of(), statsPort, log)
                .start();
        Waits.await("haproxy sees every upstream UP", Duration.ofSeconds(30), () -> !process.isAlive() || allUp(),
                () -> process.logTail(20));
        if (!process.isAlive()) {
            throw new IllegalStateException("haproxy exited at start:\n" + process.logTail(20));
        }
        Console.say("haproxy pid=%d http=%d stats=%d", process.pid(), port, statsPort);
    }

    String configText() {
        StringBuilder text = new StringBuilder();
        text.append("global\n    maxconn 4096\n\n");
        text.append("defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n    timeout server 60s\n")
                .append("    retries 3\n    option redispatch\n    option http-no-delay\n\n");
        text.append("frontend llm\n    bind 127.0.0.1:").append(port).append("\n    default_backend upstreams\n\n");
        text.append("backend upstreams\n    balance roundrobin\n    option httpchk GET /health\n")
                .append("    http-check expect status 200\n    default-server inter 1s fall 2 rise 2\n");
        for (GreedyUpstream upstream : upstreams) {
            text.append("    server ").append(upstream.name).append(" 127.0.0.1:").append(upstream.port())
                    .append(" check\n");
        }
        text.append("\nlisten stats\n    bind 127.0.0.1:").append(statsPort).append("\n    stats enable\n    stats uri /stats\n");
        return text.toString();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    long pid() {
        return process.pid();
    }

    /** Whether every upstream server is UP in HAProxy's stats. */
    boolean allUp() {
        List<Map<String, String>> servers = servers();
        return servers.size() == upstreams.size() && servers.stream().allMatch(s -> s.getOrDefault("status", "").startsWith("UP"));
    }

    /** The stats CSV rows of the upstream servers (pxname=upstreams), by column name. */
    List<Map<String, String>> servers() {
        String csv = process == null ? null : process.get("/stats;csv");
        List<Map<String, String>> rows = new ArrayList<>();
        if (csv == null) {
            return rows;
        }
        String[] lines = csv.split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            return rows;
        }
        String[] header = lines[0].substring(2).split(",", -1);
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split(",", -1);
            if (fields.length < 2 || !fields[0].equals("upstreams") || fields[1].equals("BACKEND")) {
                continue;
            }
            Map<String, String> row = new java.util.LinkedHashMap<>();
            for (int c = 0; c < Math.min(header.length, fields.length); c++) {
                row.put(header[c], fields[c]);
            }
            rows.add(row);
        }
        return rows;
    }

    void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(10));
        }
    }
}
