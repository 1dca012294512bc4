package io.connectionswap.bench;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** What a group of generation streams reports: token latencies, counts, swaps and problems. Thread-safe. */
final class StreamSink {

    final boolean timestamps;
    final Recorder latency = new Recorder(3);
    final LongAdder tokens = new LongAdder();
    final LongAdder ended = new LongAdder();
    final LongAdder sequenceErrors = new LongAdder();
    final LongAdder noHealthyWorker = new LongAdder();
    final LongAdder streamErrors = new LongAdder();
    final LongAdder broken = new LongAdder();
    final LongAdder openFailures = new LongAdder();
    final LongAdder retryMismatch = new LongAdder();
    final Queue<SwapSample> swaps = new ConcurrentLinkedQueue<>();
    final Queue<QuicClients.Conn> extraConnections = new ConcurrentLinkedQueue<>();
    volatile boolean recording = true;

    StreamSink(boolean timestamps) {
        this.timestamps = timestamps;
    }

    void latency(long nanos) {
        if (recording && nanos > 0) {
            latency.recordValue(nanos);
        }
    }

    /** Latencies recorded since the last call (nanoseconds). */
    Histogram takeLatencies() {
        return latency.getIntervalHistogram();
    }

    long problems() {
        return sequenceErrors.sum() + streamErrors.sum() + broken.sum() + openFailures.sum() + retryMismatch.sum();
    }

    void closeExtraConnections() {
        QuicClients.Conn conn;
        while ((conn = extraConnections.poll()) != null) {
            conn.close();
        }
    }
}
