package io.connectionswap.bench;

import io.connectionswap.swapclient.SwapClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chaos soak (bench/soak.sh): {@code --streams} generations at a time through one director and {@code --workers}
 * workers, all real jars on loopback, while {@link ChaosMonkey} kills, drains, freezes and partitions workers for
 * {@code --minutes}, and the director itself is restarted in the middle (the clients resume at it). Then every fault
 * is undone, the load ends, and the soak checks: no sequence error, every generation completed with the exact text
 * or ended by the migration limit, the stream channels of every process back at their idle level, live heap back near
 * its level before the load. Prints a table, writes {@code <out>/soak-summary.json}, exits 1 when a check failed.
 */
public final class ChaosSoak {

    /** Series read from the services, in one place. */
    static final String QUIC_STREAMS_OPEN = "connection_swap_quic_streams_open";
    static final String WORKERS = "connection_swap_workers";
    static final String SWAPS = "connection_swap_swaps_total";

    private final SoakOptions options;
    private final SoakProcesses processes;
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private final List<String> failedChecks = new ArrayList<>();

    private ChaosSoak(SoakOptions options) {
        this.options = options;
        this.processes = new SoakProcesses(options);
    }

    public static void main(String[] args) throws Exception {
        SoakOptions options = SoakOptions.parse(args);
        ChaosSoak soak = new ChaosSoak(options);
        Runtime.getRuntime().addShutdownHook(new Thread(soak.processes::emergencyCleanup, "soak-cleanup"));
        int status;
        try {
            status = soak.run();
        } finally {
            soak.processes.close();
        }
        System.exit(status);
    }

    private int run() throws Exception {
        summary.put("settings", options.describe());
        processes.startCluster();
        List<SwapClient> clients = new ArrayList<>();
        SoakLoad[] holder = new SoakLoad[1];
        for (int i = 0; i < options.clients(); i++) {
            clients.add(SwapClient.builder().directors("127.0.0.1:" + processes.directorPort())
                    .certificates(processes.certificates().toString()).listener(SoakLoad.listener(holder)).build()
                    .start());
        }
        SoakLoad load = new SoakLoad(clients, options.streams(), options.tokens());
        holder[0] = load;
        await("clients connected", Duration.ofSeconds(60),
                () -> clients.stream().allMatch(client -> client.connectionState().connected()));
        // idle: the other end of each worker's streams (registration; heartbeat and token stream per link
        // connection) and of each client's (control stream, client token stream), which the director sees a moment
        // after the connection is up
        await("the director holds the other end of every worker's and client's idle streams", Duration.ofSeconds(30),
                () -> processes.directorGauge(QUIC_STREAMS_OPEN) == processes.workersGauge(QUIC_STREAMS_OPEN)
                        + clients.stream().mapToInt(SwapClient::openStreams).sum());
        Map<String, Object> before = processes.idleLevels(clients);
        summary.put("before", before);
        log("idle before the load: %s", before);

        ChaosMonkey monkey = new ChaosMonkey(processes.workerTargets(), Math.max(1, options.workers() / 2),
                options.partitions(), options.seed());
        long start = System.nanoTime();
        long end = start + options.duration().toNanos();
        long restartAt = start + options.duration().toNanos() / 2;
        boolean restarted = false;
        load.start();
        monkey.start();
        while (System.nanoTime() < end) {
            Thread.sleep(10_000); // progress lines pace the main thread; the faults have their own timer
            log("t=%ds started=%d completed=%d migration_limit=%d failed=%s in_flight=%d sequence_errors=%d "
                    + "director_streams=%s", (System.nanoTime() - start) / 1_000_000_000L, load.started.get(),
                    load.completed.get(), load.migrationLimit.get(), load.failures(), load.inFlight(),
                    load.sequenceErrors.get(), processes.directorGauge(QUIC_STREAMS_OPEN));
            if (!restarted && System.nanoTime() >= restartAt) {
                restarted = true;
                monkey.pause(true);
                summary.put("director_restart_ms", processes.restartDirector(load));
                monkey.pause(false);
            }
        }
        double directorSwapsBeforeEnd = processes.directorGauge(SWAPS);
        log("faults over; healing every worker");
        monkey.heal();
        processes.awaitHealthyWorkers(Duration.ofSeconds(120));
        load.stopStarting();
        long stuck = load.awaitIdle(Duration.ofSeconds(120));
        summary.put("load", loadSummary(load, stuck, directorSwapsBeforeEnd));
        summary.put("faults", monkey.counts());
        summary.put("swap_gap_ms_by_cause", gaps(load.gaps()));

        Map<String, Object> after = processes.awaitIdleLevels(clients, before, Duration.ofSeconds(60));
        summary.put("after", after);
        check(load.sequenceErrors.get() == 0, "sequence errors: " + load.sequenceErrors.get());
        check(load.wrongText.get() == 0, "generations with a wrong text: " + load.wrongText.get());
        check(load.failures().isEmpty(), "generations that ended otherwise than completed or migration limit: "
                + load.failures());
        check(stuck == 0, "generations still in flight after the load: " + stuck);
        processes.checkBackToBaseline(before, after, this::check);
        summary.put("checks_failed", failedChecks);
        for (SwapClient client : clients) {
            client.close();
        }
        Path json = options.out().resolve("soak-summary.json");
        Files.createDirectories(options.out());
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(json.toFile(), summary);
        print(json);
        return failedChecks.isEmpty() ? 0 : 1;
    }

    private Map<String, Object> loadSummary(SoakLoad load, long stuck, double directorSwaps) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generations_started", load.started.get());
        out.put("completed", load.completed.get());
        out.put("migration_limit", load.migrationLimit.get());
        out.put("other_failures", load.failures());
        out.put("wrong_text", load.wrongText.get());
        out.put("in_flight_at_end", stuck);
        out.put("sequence_errors", load.sequenceErrors.get());
        out.put("client_reconnects", load.reconnects.get());
        out.put("tokens", load.tokensReceived.get());
        out.put("director_swaps_second_half", directorSwaps);
        return out;
    }

    private static Map<String, Object> gaps(Map<String, Histogram> gaps) {
        Map<String, Object> out = new LinkedHashMap<>();
        gaps.forEach((cause, micros) -> out.put(cause, Stats.summary(micros, 1000)));
        return out;
    }

    private void check(boolean ok, String what) {
        log("%s %s", ok ? "PASS" : "FAIL", what);
        if (!ok) {
            failedChecks.add(what);
        }
    }

    @SuppressWarnings("unchecked")
    private void print(Path json) {
        StringBuilder out = new StringBuilder("\n=============================== connection-swap chaos soak ===============================\n");
        out.append(String.format(Locale.ROOT, "%s%n", summary.get("settings")));
        out.append(String.format(Locale.ROOT, "faults: %s; director restart: %s ms down%n", summary.get("faults"),
                summary.get("director_restart_ms")));
        out.append(String.format(Locale.ROOT, "load: %s%n", summary.get("load")));
        out.append("swap gap by cause (ms)          p50      p90      p99      max        n\n");
        ((Map<String, Object>) summary.get("swap_gap_ms_by_cause")).forEach((cause, value) -> {
            Map<String, Object> s = (Map<String, Object>) value;
            out.append(String.format(Locale.ROOT, "  %-20s %8s %8s %8s %8s %8s%n", cause, s.get("p50"), s.get("p90"),
                    s.get("p99"), s.get("max"), s.get("n")));
        });
        out.append(String.format(Locale.ROOT, "before the load: %s%nafter the load:  %s%n", summary.get("before"),
                summary.get("after")));
        out.append(failedChecks.isEmpty() ? "every check passed\n" : "FAILED: " + failedChecks + "\n");
        out.append("summary: ").append(json).append('\n');
        System.out.print(out);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not within " + timeout + ": " + what);
            }
            Thread.sleep(200);
        }
    }

    static void log(String format, Object... arguments) {
        ChaosMonkey.log(format, arguments);
    }
}
