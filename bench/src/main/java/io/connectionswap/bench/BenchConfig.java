package io.connectionswap.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.connectionswap.worker.model.Pacing;

/**
 * The settings of one run, from {@code bench/run.sh}'s arguments and the {@code BENCH_*_JAVA_OPTS} variables.
 *
 * @param gatewayLevels  concurrent streams of the gateway figures (1 and 200)
 * @param gatewayTokens  tokens per gateway request at one stream (a stream is restarted as soon as it completes);
 *                       more at many streams, see {@link #gatewayTokens(int)}
 * @param peerLevels     concurrent streams of the HAProxy comparison's load windows
 * @param peerTokens     tokens per request in the HAProxy comparison
 * @param peerGap        the upstreams' pause between two tokens
 * @param peerRounds     kill rounds per path and fault (alternating the two clients)
 * @param directorEnv    settings given to the director process ({@code --director-env=KEY=VALUE}, repeatable), e.g.
 *                       {@code CONNECTION_SWAP_COALESCE_SENDS=false} to measure without coalesced sends
 * @param pacing         when the in-JVM workers' streams emit ({@code --pacing=staggered}, the default: each stream
 *                       on its own clock; {@code lockstep}: all of a worker's streams at once, as a batching engine's
 *                       decode steps)
 * @param relayStreams   concurrent streams of the relay figure on each path ({@code --relay-streams}, 20)
 * @param workerLoss     the probability that iptables drops a datagram an in-JVM worker sends ({@code --worker-loss};
 *                       0: none), to measure what loss between workers and the director does to token latency
 * @param clientTokenStream whether the bench's generations through the director ask for the client token stream
 *                       ({@code --client-token-stream=on}, the default, as the client library does; {@code off}: a
 *                       stream per generation carries its frames, as older clients)
 */
record BenchConfig(boolean quick, boolean profile, Path out, Duration tokenInterval, Set<String> phases, int relayStreams,
                   Duration relayWarmup, Duration relaySegment, int relayPairs, int swapRounds, List<Integer> scaleLevels,
                   int maxStreams, int streamsPerConnection, int rampPerSecond, Duration scaleSettle, Duration scaleWindow,
                   Duration deadline, List<String> directorJvm, List<String> workerJvm, List<Integer> scaleUp,
                   int scaleBisections, int clientRcvbuf, List<Integer> gatewayLevels, int gatewayTokens,
                   Duration gatewaySegment, int gatewayPairs, List<Integer> peerLevels, int peerTokens, Duration peerGap,
                   Duration peerWindow, int peerRounds, String haproxy, Map<String, String> directorEnv,
                   Pacing pacing, double workerLoss, boolean clientTokenStream) {

    static final List<String> ALL_PHASES = List.of("relay", "health", "process", "scale", "gateway", "peer");

    static BenchConfig parse(String[] args) {
        boolean quick = false;
        boolean profile = false;
        Path out = Path.of("bench/out");
        Duration interval = Duration.ofMillis(50);
        Set<String> phases = new LinkedHashSet<>(ALL_PHASES);
        Integer rounds = null;
        Integer maxStreams = null;
        Integer peerRounds = null;
        List<Integer> gatewayLevels = List.of(1, 200);
        List<Integer> peerLevels = null;
        int ramp = 500;
        int rcvbuf = 4 << 20;
        String haproxy = "haproxy";
        Map<String, String> directorEnv = new LinkedHashMap<>();
        Pacing pacing = Pacing.STAGGERED;
        int relayStreams = 20;
        boolean clientTokenStream = true;
        double workerLoss = 0;
        for (String arg : args) {
            if (arg.equals("--quick")) {
                quick = true;
            } else if (arg.equals("--profile")) {
                profile = true;
            } else if (arg.startsWith("--out=")) {
                out = Path.of(arg.substring(6));
            } else if (arg.startsWith("--token-interval-ms=")) {
                interval = Duration.ofMillis(Long.parseLong(arg.substring(20)));
            } else if (arg.startsWith("--phases=")) {
                phases = new LinkedHashSet<>(List.of(arg.substring(9).split(",")));
                for (String phase : phases) {
                    if (!ALL_PHASES.contains(phase)) {
                        throw new IllegalArgumentException("--phases: unknown phase " + phase + " (expected some of "
                                + String.join(",", ALL_PHASES) + ")");
                    }
                }
            } else if (arg.startsWith("--rounds=")) {
                rounds = Integer.parseInt(arg.substring(9));
            } else if (arg.startsWith("--client-rcvbuf=")) {
                rcvbuf = Integer.parseInt(arg.substring(16));
            } else if (arg.startsWith("--ramp=")) {
                ramp = Integer.parseInt(arg.substring(7));
            } else if (arg.startsWith("--max-streams=")) {
                maxStreams = Integer.parseInt(arg.substring(14));
            } else if (arg.startsWith("--gateway-streams=")) {
                gatewayLevels = integers("--gateway-streams", arg.substring(18));
            } else if (arg.startsWith("--peer-streams=")) {
                peerLevels = integers("--peer-streams", arg.substring(15));
            } else if (arg.startsWith("--peer-rounds=")) {
                peerRounds = Integer.parseInt(arg.substring(14));
            } else if (arg.startsWith("--haproxy=")) {
                haproxy = arg.substring(10);
            } else if (arg.startsWith("--relay-streams=")) {
                relayStreams = positive("--relay-streams", arg.substring(16));
            } else if (arg.startsWith("--worker-loss=")) {
                workerLoss = lossProbability(arg.substring(14));
            } else if (arg.startsWith("--client-token-stream=")) {
                clientTokenStream = onOff("--client-token-stream", arg.substring(22));
            } else if (arg.startsWith("--pacing=")) {
                pacing = Pacing.parse("--pacing", arg.substring(9));
            } else if (arg.startsWith("--director-env=")) {
                String setting = arg.substring(15);
                int equals = setting.indexOf('=');
                if (equals <= 0 || !setting.startsWith("CONNECTION_SWAP_")) {
                    throw new IllegalArgumentException("--director-env=" + setting
                            + " (expected: CONNECTION_SWAP_NAME=VALUE, a director setting from the README)");
                }
                directorEnv.put(setting.substring(0, equals), setting.substring(equals + 1));
            } else if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println("usage: bench/run.sh [--quick] [--profile] [--phases=" + String.join(",", ALL_PHASES)
                        + "] [--rounds=N] [--max-streams=N] [--ramp=STREAMS_PER_S] [--client-rcvbuf=BYTES] "
                        + "[--token-interval-ms=50] [--gateway-streams=1,200] [--peer-streams=1,50] [--peer-rounds=N] "
                        + "[--haproxy=PATH] [--director-env=CONNECTION_SWAP_X=VALUE ...] [--pacing=staggered|lockstep] "
                        + "[--relay-streams=20] [--worker-loss=0.01] [--client-token-stream=on|off] [--out=bench/out]");
                System.exit(0);
            } else {
                throw new IllegalArgumentException("unknown argument " + arg + " (try --help)");
            }
        }
        List<String> directorJvm = new ArrayList<>(List.of(env("BENCH_DIRECTOR_JAVA_OPTS", "-Xms256m -Xmx1g").split("\\s+")));
        if (profile) {
            directorJvm.addAll(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints"));
        }
        List<String> workerJvm = List.of(env("BENCH_WORKER_JAVA_OPTS",
                "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1").split("\\s+"));
        List<Integer> levels = List.of(100, 1000);
        List<Integer> up = quick ? List.of(2500) : List.of(2000, 3000, 5000, 7500, 10000);
        return new BenchConfig(quick, profile, out.toAbsolutePath(), interval, phases,
                relayStreams,
                quick ? Duration.ofSeconds(4) : Duration.ofSeconds(8),
                quick ? Duration.ofSeconds(4) : Duration.ofSeconds(10),
                quick ? 2 : 4,
                rounds != null ? rounds : quick ? 3 : 20,
                levels,
                maxStreams != null ? maxStreams : 10_000,
                100,
                ramp,
                quick ? Duration.ofSeconds(2) : Duration.ofSeconds(5),
                quick ? Duration.ofSeconds(5) : Duration.ofSeconds(15),
                quick ? Duration.ofMinutes(25) : Duration.ofMinutes(90),
                directorJvm, workerJvm, up, quick ? 1 : 3, rcvbuf,
                gatewayLevels,
                20,
                quick ? Duration.ofSeconds(5) : Duration.ofSeconds(10),
                quick ? 2 : 4,
                peerLevels != null ? peerLevels : quick ? List.of(1, 50) : List.of(1, 50, 100),
                100,
                Duration.ofMillis(20),
                quick ? Duration.ofSeconds(8) : Duration.ofSeconds(15),
                peerRounds != null ? peerRounds : quick ? 4 : 10,
                haproxy,
                Map.copyOf(directorEnv),
                pacing, workerLoss, clientTokenStream);
    }

    private static boolean onOff(String option, String value) {
        return switch (value) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new IllegalArgumentException(option + "=" + value + " (expected: on or off)");
        };
    }

    /**
     * Tokens per request at {@code streams} concurrent streams: 20, or streams / 2 when more. A finished stream holds
     * its QUIC stream credit on the director (1000 per connection by default) until the 10 s stream linger ends, so
     * new streams per second times 10 s must stay well under 1000 (see bench/README.md, findings): streams / 2
     * tokens at 50 ms keep it at 40 new streams per second, whatever the level.
     */
    int gatewayTokens(int streams) {
        return Math.max(gatewayTokens, streams / 2);
    }

    private static List<Integer> integers(String option, String text) {
        try {
            List<Integer> values = Arrays.stream(text.split(",")).map(String::trim).map(Integer::parseInt).toList();
            if (values.isEmpty() || values.stream().anyMatch(v -> v < 1)) {
                throw new NumberFormatException("empty or < 1");
            }
            return values;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + "=" + text + " (expected: comma-separated numbers >= 1)");
        }
    }

    private static int positive(String option, String text) {
        try {
            int value = Integer.parseInt(text.trim());
            if (value >= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + "=" + text + " (expected: a number >= 1)");
    }

    private static double lossProbability(String text) {
        try {
            double value = Double.parseDouble(text);
            if (value > 0 && value < 0.5) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--worker-loss=" + text
                + " (expected: the probability of dropping a datagram, above 0 and below 0.5, e.g. 0.01)");
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
