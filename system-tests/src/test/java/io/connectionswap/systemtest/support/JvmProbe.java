package io.connectionswap.systemtest.support;

import io.connectionswap.testsupport.process.ClassHistogram;
import io.connectionswap.testsupport.process.Jcmd;
import io.connectionswap.testsupport.process.ServiceProcess;
import java.time.Duration;

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
        return histogram(process.pid());
    }

    public static Snapshot histogram(long pid) {
        return parse(jcmd(pid, "GC.class_histogram"));
    }

    static Snapshot parse(String histogram) {
        ClassHistogram classes = ClassHistogram.parse(histogram);
        if (classes.liveBytes() < 0) {
            throw new IllegalStateException("no 'Total' line in the class histogram: " + tail(histogram));
        }
        return new Snapshot(classes.instances(STREAM_CHANNEL_CLASS), classes.liveBytes());
    }

    /** {@code jcmd <pid> <command>}'s output; fails when jcmd fails or takes more than 60 s. */
    public static String jcmd(long pid, String command) {
        return Jcmd.run(pid, Duration.ofSeconds(60), command);
    }

    private static String tail(String text) {
        return text.length() < 400 ? text : "..." + text.substring(text.length() - 400);
    }
}
