package io.connectionswap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the figures were measured on. */
final class MachineInfo {

    private MachineInfo() {
    }

    static Map<String, Object> collect(Path root) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        info.put("nproc", Runtime.getRuntime().availableProcessors());
        info.put("cpu_model", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        String memTotal = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        info.put("mem_total_mb", memTotal == null ? null : Long.parseLong(memTotal.replaceAll("[^0-9]", "")) / 1024);
        info.put("os", System.getProperty("os.name") + " " + read(Path.of("/proc/sys/kernel/osrelease")));
        info.put("java_version", System.getProperty("java.runtime.version"));
        info.put("java_vm", System.getProperty("java.vm.name") + " (" + System.getProperty("java.vm.vendor") + ")");
        info.put("git_commit", command(root, "git", "rev-parse", "--short", "HEAD"));
        String status = command(root, "git", "status", "--porcelain", "--untracked-files=no");
        info.put("git_dirty", status != null && !status.isBlank());
        info.put("loadavg_start", loadAverage());
        info.put("note", "2-core machine shared with other builds and tests while this ran: re-take final numbers on a "
                + "quiet machine (compare loadavg_start/loadavg_end with nproc)");
        return info;
    }

    static String loadAverage() {
        String text = read(Path.of("/proc/loadavg"));
        if (text == null) {
            return null;
        }
        String[] parts = text.split("\\s+");
        return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : text;
    }

    private static String firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith(key)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String command(Path dir, String... command) {
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return new String(out, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
