package io.connectionswap.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.connectionswap.bench.GenStream.Target;
import io.connectionswap.bench.QuicClients.Conn;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.HdrHistogram.Histogram;

/**
 * The relay figure's direct path from a process of its own ({@code relay.direct_process_*}): a bench client that
 * dials the bench JVM's in-JVM workers, as {@link RelayPhase}'s same-JVM direct path does, but across a process
 * boundary, as a real client always is from its worker. Tokens carry the worker's emit time from
 * {@code System.nanoTime()}, which is {@code CLOCK_MONOTONIC} in every JVM on Linux, so this process reads the same
 * clock.
 *
 * <p>Driven over loopback HTTP by {@link DirectRelayProcess}: {@code GET /health}; {@code GET /segment?seconds=N}
 * starts a segment (its streams open, flow, are recorded for N s, then reset) and answers at once;
 * {@code GET /result} answers 200 with {@code problems=} and {@code latencies=} (an HdrHistogram, compressed, base64)
 * once the segment is over, 404 before, 500 with the reason when it failed.
 *
 * <p>Arguments: {@code --port=HTTP --certs=DIR --workers=PORT,PORT,... --streams=N --rcvbuf=BYTES}.
 */
final class DirectRelayClient {

    private final QuicClients clients;
    private final List<Conn> conns = new ArrayList<>();
    private final int streams;
    private volatile String result;
    private volatile String failure;
    private volatile boolean running;

    private DirectRelayClient(QuicClients clients, int streams) {
        this.clients = clients;
        this.streams = streams;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        QuicClients clients = new QuicClients(Path.of(required(options, "certs")), 2,
                Integer.parseInt(required(options, "rcvbuf")));
        DirectRelayClient client = new DirectRelayClient(clients, Integer.parseInt(required(options, "streams")));
        for (String port : required(options, "workers").split(",")) {
            client.conns.add(clients.worker(Integer.parseInt(port.trim())));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                Integer.parseInt(required(options, "port"))), 0);
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.createContext("/health", exchange -> answer(exchange, 200, "up"));
        server.createContext("/segment", client::startSegment);
        server.createContext("/result", client::result);
        server.start();
        System.out.printf("direct relay client up: %d connections to workers %s, %d streams per segment%n",
                client.conns.size(), options.get("workers"), client.streams);
    }

    private void startSegment(HttpExchange exchange) throws IOException {
        if (running) {
            answer(exchange, 409, "a segment is running");
            return;
        }
        String query = exchange.getRequestURI().getQuery();
        Duration length = Duration.ofSeconds(Long.parseLong(options(query == null ? new String[0]
                : query.split("&")).getOrDefault("seconds", "4")));
        running = true;
        result = null;
        failure = null;
        Thread segment = new Thread(() -> {
            try {
                result = segment(length);
            } catch (RuntimeException e) {
                failure = String.valueOf(e);
                System.out.println("segment failed: " + e);
            } finally {
                running = false;
            }
        }, "direct-relay-segment");
        segment.setDaemon(true);
        segment.start();
        answer(exchange, 200, "started");
    }

    private void result(HttpExchange exchange) throws IOException {
        if (failure != null) {
            answer(exchange, 500, failure);
        } else if (running || result == null) {
            answer(exchange, 404, "no result yet");
        } else {
            answer(exchange, 200, result);
        }
    }

    /** The same segment as {@link RelayPhase}'s same-JVM direct path, from this process. */
    private String segment(Duration length) {
        RelayPhase.SegmentResult result = RelayPhase.measure(Target.WORKER, i -> conns.get(i % conns.size()), streams,
                clients, 0, length, flowing -> Waits.await("direct streams flowing", Duration.ofSeconds(30), flowing, null));
        Histogram latencies = result.latencies();
        System.out.printf("segment: p50 %.0f us, p99 %.0f us (%d tokens), problems %d%n",
                latencies.getValueAtPercentile(50) / 1e3, latencies.getValueAtPercentile(99) / 1e3,
                latencies.getTotalCount(), result.problems());
        return "problems=" + result.problems() + "\nlatencies=" + encode(latencies) + "\n";
    }

    static String encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalStateException("cannot decode the direct relay client's histogram", e);
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            String option = arg.startsWith("--") ? arg.substring(2) : arg;
            int equals = option.indexOf('=');
            if (equals > 0) {
                options.put(option.substring(0, equals), option.substring(equals + 1));
            }
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + "= is required (" + DirectRelayClient.class.getSimpleName()
                    + " --port=HTTP --certs=DIR --workers=PORT,... --streams=N --rcvbuf=BYTES)");
        }
        return value;
    }
}
