package io.connectionswap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network partitions of one UDP port on loopback with iptables: {@code iptables -A INPUT -i lo -p udp --dport <port>
 * -j DROP}, tagged with a comment so that {@link #removeAll} (and bench/soak.sh's trap) finds and deletes every rule
 * the soak added, whatever happened; and the bench's random loss of what one port sends ({@code --sport <port> -m
 * statistic --mode random}), tagged with a comment of its own ({@link #LOSS_TAG}, so that a soak and a bench do not
 * remove each other's rules; bench/run.sh's trap removes them too). Needs root (CAP_NET_ADMIN).
 */
final class Partitions {

    static final String TAG = "connection-swap-soak";
    static final String LOSS_TAG = "connection-swap-bench-loss";

    private Partitions() {
    }

    /** Whether iptables can be used here (a harmless listing succeeds). */
    static boolean available() {
        return run(List.of("iptables", "-S", "INPUT")) != null;
    }

    static void drop(int port) {
        if (run(rule("-A", port)) == null) {
            throw new IllegalStateException("iptables -A for udp/" + port + " failed");
        }
    }

    /** Drops each datagram sent from UDP {@code port} on loopback with {@code probability}, until {@link #removeLoss}. */
    static void lose(int port, double probability) {
        if (run(rule("-A", "--sport", port, LOSS_TAG, "-m", "statistic", "--mode", "random", "--probability",
                String.format(java.util.Locale.ROOT, "%.6f", probability))) == null) {
            throw new IllegalStateException("iptables -A (random loss) for udp/" + port + " failed");
        }
    }

    static void heal(int port) {
        run(rule("-D", port));
    }

    /** Deletes every rule this soak added (any port). */
    static int removeAll() {
        return removeTagged(TAG);
    }

    /** Deletes every loss rule the bench added (any port). */
    static int removeLoss() {
        return removeTagged(LOSS_TAG);
    }

    private static int removeTagged(String tag) {
        String rules = run(List.of("iptables", "-S", "INPUT"));
        if (rules == null) {
            return 0;
        }
        int removed = 0;
        for (String line : rules.split("\n")) {
            if (line.startsWith("-A INPUT ") && line.contains("--comment " + tag + " ")) {
                List<String> delete = new ArrayList<>(List.of("iptables", "-D"));
                delete.addAll(List.of(line.substring(3).replace("\"", "").split(" ")));
                if (run(delete) != null) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private static List<String> rule(String action, int port) {
        return rule(action, "--dport", port, TAG);
    }

    /** {@code iptables ACTION INPUT -i lo -p udp PORT_MATCH PORT MATCH... -m comment --comment TAG -j DROP}. */
    private static List<String> rule(String action, String portMatch, int port, String tag, String... match) {
        List<String> rule = new ArrayList<>(List.of("iptables", action, "INPUT", "-i", "lo", "-p", "udp", portMatch,
                Integer.toString(port)));
        rule.addAll(List.of(match));
        rule.addAll(List.of("-m", "comment", "--comment", tag, "-j", "DROP"));
        return rule;
    }

    /** Output of {@code command}, or null when it failed. */
    private static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return output;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
