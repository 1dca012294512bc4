package io.connectionswap.systemtest.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a process's heap holds, through {@code jcmd <pid> GC.class_histogram}: that command runs a full GC first, so
 * its counts are live objects only and its total is the live heap. Used to check that QUIC stream channels
 * ({@code QuicheQuicStreamChannel}) do not pile up with the generations served.
 */
public final class JvmProbe {

    /** Netty's QUIC stream channel class: one instance per stream a connection still holds. */
    public static final String STREAM_CHANNEL_CLASS = "io.netty.handler.codec.quic.QuicheQuicStreamChannel";

    /** Live instances of the stream channel class and live heap bytes, right after a full GC. */
    public record Snapshot(long streamChannels, long liveHeapBytes) {

        public double liveHeapMiB() {
            return liveHeapBytes / (1024.0 * 1024.0);
        }
    }

    private JvmProbe() {
    }

    public static Snapshot histogram(ServiceProcess process) {
        return histogram(process.process().pid());
    }

    public static Snapshot histogram(long pid) {
        return parse(jcmd(pid, "GC.class_histogram"));
    }

    static Snapshot parse(String histogram) {
        long channels = 0;
        long total = -1;
        for (String line : histogram.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 4 && fields[3].equals(STREAM_CHANNEL_CLASS)) {
                channels = Long.parseLong(fields[1]);
            } else if (fields.length == 3 && fields[0].equals("Total")) {
                total = Long.parseLong(fields[2]);
            }
        }
        if (total < 0) {
            throw new IllegalStateException("no 'Total' line in the class histogram: " + tail(histogram));
        }
        return new Snapshot(channels, total);
    }

    /** {@code jcmd <pid> <command>}'s output (to a file: a class histogram is far bigger than a pipe buffer). */
    public static String jcmd(long pid, String command) {
        Path out = null;
        try {
            out = Files.createTempFile("jcmd", ".txt");
            Process jcmd = new ProcessBuilder(List.of(tool("jcmd"), Long.toString(pid), command))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!jcmd.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS)) {
                jcmd.destroyForcibly();
                throw new IllegalStateException("jcmd " + pid + " " + command + " did not finish in 60 s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (jcmd.exitValue() != 0) {
                throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + tail(text));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temporary file
                }
            }
        }
    }

    /** A JDK tool next to the java running this JVM (the same JDK as the processes it starts), else on the PATH. */
    private static String tool(String name) {
        return ProcessHandle.current().info().command()
                .map(java -> Path.of(java).resolveSibling(name))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .orElse(name);
    }

    private static String tail(String text) {
        return text.length() < 400 ? text : "..." + text.substring(text.length() - 400);
    }
}
