package io.connectionswap.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The chaos soak's settings, from {@code --name=value} arguments.
 *
 * @param duration      how long faults go on ({@code --minutes}, default 10)
 * @param streams       generations in flight at once ({@code --streams}, default 200)
 * @param workers       worker processes ({@code --workers}, default 4)
 * @param clients       client connections the streams are spread over ({@code --clients}, default 4)
 * @param tokens        tokens per generation ({@code --tokens}, default 60)
 * @param tokenInterval the workers' token interval ({@code --token-interval-ms}, default 50)
 * @param partitions    iptables partitions among the faults ({@code --no-partitions} turns them off)
 * @param seed          the faults' random seed ({@code --seed}, default the time)
 * @param out           where soak-summary.json and the process logs go ({@code --out}, default bench/out)
 */
record SoakOptions(Duration duration, int streams, int workers, int clients, int tokens, Duration tokenInterval,
                   boolean partitions, long seed, Path out) {

    SoakOptions {
        if (streams < 1 || workers < 2 || clients < 1 || tokens < 1 || duration.isNegative()) {
            throw new IllegalArgumentException("streams=" + streams + " workers=" + workers + " clients=" + clients
                    + " tokens=" + tokens + " duration=" + duration
                    + " (expected: streams >= 1, workers >= 2, clients >= 1, tokens >= 1)");
        }
    }

    static SoakOptions parse(String[] args) {
        double minutes = 10;
        int streams = 200;
        int workers = 4;
        int clients = 4;
        int tokens = 60;
        long intervalMs = 50;
        boolean partitions = true;
        long seed = System.currentTimeMillis();
        Path out = Path.of("bench/out");
        for (String arg : args) {
            String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
            switch (arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg) {
                case "--minutes" -> minutes = Double.parseDouble(value);
                case "--streams" -> streams = Integer.parseInt(value);
                case "--workers" -> workers = Integer.parseInt(value);
                case "--clients" -> clients = Integer.parseInt(value);
                case "--tokens" -> tokens = Integer.parseInt(value);
                case "--token-interval-ms" -> intervalMs = Long.parseLong(value);
                case "--no-partitions" -> partitions = false;
                case "--seed" -> seed = Long.parseLong(value);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "' (expected: --minutes=10 "
                        + "--streams=200 --workers=4 --clients=4 --tokens=60 --token-interval-ms=50 --no-partitions "
                        + "--seed=N --out=DIR)");
            }
        }
        return new SoakOptions(Duration.ofMillis((long) (minutes * 60_000)), streams, workers, clients, tokens,
                Duration.ofMillis(intervalMs), partitions, seed, out);
    }

    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("minutes", duration.toMillis() / 60_000.0);
        out.put("streams", streams);
        out.put("workers", workers);
        out.put("clients", clients);
        out.put("tokens_per_generation", tokens);
        out.put("token_interval_ms", tokenInterval.toMillis());
        out.put("partitions", partitions);
        out.put("seed", seed);
        return out;
    }
}
