package io.connectionswap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** CPU time and resident memory of a process (and of its threads) from /proc (Linux only). */
final class ProcStat {

    private static final long CLK_TCK = clockTicks();

    private ProcStat() {
    }

    /** Clock ticks per second of the utime/stime fields. */
    static long ticksPerSecond() {
        return CLK_TCK;
    }

    /** utime + stime of a process in clock ticks, or -1 when it cannot be read. */
    static long cpuTicks(long pid) {
        return ticks(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** utime + stime per thread name (threads of the same name summed), in clock ticks. */
    static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> byName = new HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (var dirs = Files.list(tasks)) {
            for (Path task : dirs.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    long ticks = parseTicks(stat);
                    if (ticks >= 0) {
                        byName.merge(name, ticks, Long::sum);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we listed it
                }
            }
        } catch (IOException e) {
            return byName;
        }
        return byName;
    }

    /** Machine-wide UDP receive-buffer drops (RcvbufErrors of /proc/net/snmp), or -1. */
    static long udpReceiveBufferErrors() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).startsWith("Udp:") && lines.get(i + 1).startsWith("Udp:")) {
                    List<String> names = List.of(lines.get(i).trim().split("\\s+"));
                    String[] values = lines.get(i + 1).trim().split("\\s+");
                    int index = names.indexOf("RcvbufErrors");
                    return index > 0 ? Long.parseLong(values[index]) : -1;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Datagrams dropped because a socket's receive buffer was full, summed over the UDP sockets {@code pid} owns
     * (the {@code drops} column of /proc/net/udp and udp6, matched through the socket inodes in /proc/pid/fd), or -1.
     */
    static long udpDrops(long pid) {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException | RuntimeException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        long drops = 0;
        for (String table : new String[] {"/proc/net/udp", "/proc/net/udp6"}) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (int i = 1; i < lines.size(); i++) {
                    String[] fields = lines.get(i).trim().split("\\s+");
                    if (fields.length >= 13 && inodes.contains(fields[9])) {
                        drops += Long.parseLong(fields[12]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table
            }
        }
        return drops;
    }

    /** VmRSS in bytes, or -1. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long ticks(Path stat) {
        try {
            return parseTicks(Files.readString(stat));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long parseTicks(String stat) {
        // fields after "(comm)": state(3) ppid(4) ... utime(14) stime(15)
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long clockTicks() {
        try {
            Process process = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            if (process.waitFor(5, TimeUnit.SECONDS)) {
                String out = new String(process.getInputStream().readAllBytes()).trim();
                return Long.parseLong(out);
            }
            process.destroyForcibly();
        } catch (IOException | RuntimeException e) {
            // fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
