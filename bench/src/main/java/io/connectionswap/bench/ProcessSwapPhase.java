package io.connectionswap.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code swap.by_cause.drain|kill|hang}: the swap gap when a worker process drains (SIGTERM), crashes (kill -9) or
 * hangs (SIGSTOP, SIGCONT after the swap). The in-JVM workers are out of rotation meanwhile, so every stream goes to
 * the two worker processes; a killed or drained one is restarted on the same ports.
 */
final class ProcessSwapPhase extends BenchPhase {

    private final SwapRounds rounds;
    private final List<WorkerProc> procs = new ArrayList<>();

    ProcessSwapPhase(Cluster cluster, Results results) {
        super(cluster, results);
        this.rounds = new SwapRounds(cluster, results);
    }

    @Override
    void run() throws Exception {
        cluster.setInJvmReady(false); // out of rotation: every stream goes to the worker processes
        try {
            cluster.await("in-JVM workers out of rotation", Duration.ofSeconds(20), () -> cluster.directorHealthy() == 0);
            procs.add(cluster.workerProcess("proc-a", Map.of()));
            procs.add(cluster.workerProcess("proc-b", Map.of()));
            procs.forEach(WorkerProc::start);
            for (WorkerProc proc : procs) {
                cluster.await(proc.label + " ready", Duration.ofSeconds(120), proc.process::ready);
            }
            cluster.awaitHealthy(procs.size());
            Console.say("worker processes up after %.1f s", Console.elapsedSeconds());
            for (String cause : List.of("drain", "kill", "hang")) {
                cause(cause);
            }
        } finally {
            for (WorkerProc proc : procs) {
                proc.stop(Duration.ofSeconds(30));
            }
            procs.clear();
            cluster.setInJvmReady(true);
        }
    }

    private void cause(String cause) {
        SwapRounds.CauseTally tally = new SwapRounds.CauseTally();
        double[] director0 = rounds.directorSwapGap();
        for (int round = 0; round < cfg.swapRounds(); round++) {
            WorkerProc victim = procs.get(round % procs.size());
            cluster.awaitHealthy(procs.size());
            LongSupplier fault = switch (cause) {
                case "drain" -> victim.process::sigterm;
                case "kill" -> victim.process::kill9;
                default -> victim.process::freeze;
            };
            SwapRounds.RoundResult result;
            try {
                result = rounds.round(cause, 2 * procs.size(), victim.label, true, fault, cfg.tokenInterval());
            } finally {
                if (victim.process.frozen()) {
                    victim.process.resume();
                }
            }
            tally.add(result);
            Console.say("%s round %d/%d (%s): %s", cause, round + 1, cfg.swapRounds(), victim.label,
                    SwapRounds.describe(result.samples()));
            if (cause.equals("drain")) {
                if (!victim.process.waitForExit(Duration.ofSeconds(40))) {
                    results.error("drain: " + victim.label + " did not exit within 40 s of SIGTERM");
                    victim.process.kill9();
                }
            }
            if (!victim.process.isAlive()) {
                victim.startAndAwaitReady();
            }
        }
        rounds.publishCause(cause, tally, director0, rounds.directorSwapGap(), switch (cause) {
            case "drain" -> "SIGTERM to the worker process serving the streams (it drains: tells the director, which moves its streams)";
            case "kill" -> "kill -9 of the worker process serving the streams (found by the director's link heartbeat, 100 ms, and ICMP port unreachable)";
            default -> "SIGSTOP of the worker process serving the streams (found as a stall: 3 token intervals without a frame); SIGCONT after the swap";
        });
    }
}
