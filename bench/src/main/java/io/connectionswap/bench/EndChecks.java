package io.connectionswap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code checks.*}: what the director still holds at the end of the run, with every bench connection closed. */
final class EndChecks {

    private EndChecks() {
    }

    static Map<String, Object> collect(Cluster cluster) {
        Map<String, Object> checks = new LinkedHashMap<>();
        if (cluster.directorAlive()) {
            retainedStreamChannels(cluster, checks);
        }
        checks.put("director_sessions_left_after_client_reset", cluster.unnoticedResets());
        checks.put("worker_streams_left_after_direct_client_reset", cluster.unnoticedWorkerResets());
        return checks;
    }

    /**
     * With every bench connection closed and no session left, the director should hold about one QUIC stream channel
     * per worker link (its heartbeat stream). More means stream channels kept after their stream ended.
     */
    private static void retainedStreamChannels(Cluster cluster, Map<String, Object> checks) {
        cluster.closeDirectorConn();
        Waits.sleep(Duration.ofSeconds(2));
        Map<String, long[]> classes = new DirectorHeap(cluster.director()).classHistogram();
        long[] channels = classes.getOrDefault("io.netty.handler.codec.quic.QuicheQuicStreamChannel", new long[2]);
        long[] sessions = classes.getOrDefault("io.connectionswap.director.relay.RelaySession", new long[2]);
        checks.put("director_stream_channels_at_end", channels[0]);
        checks.put("director_stream_channel_bytes_at_end", channels[1]);
        checks.put("director_relay_sessions_at_end", sessions[0]);
        checks.put("director_streams_active_at_end", cluster.directorStreamsActive());
        try (var lines = Files.lines(cluster.director().log(), StandardCharsets.UTF_8)) {
            checks.put("director_client_streams_opened", lines.filter(line -> line.contains("client opened stream")).count());
        } catch (IOException | UncheckedIOException e) {
            checks.put("director_client_streams_opened", null);
        }
    }
}
