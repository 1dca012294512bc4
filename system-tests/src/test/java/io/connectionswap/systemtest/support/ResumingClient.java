package io.connectionswap.systemtest.support;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Message;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A TEST HARNESS, not the client library: the smallest client that resumes, on top of {@link RawQuicClient}, for
 * process tests that must see the exact text of a generation across swaps. One QUIC connection to the director; a
 * generation runs on its own thread: open a stream, send the {@link GenerationRequest}, collect TOKEN frames
 * (checking that each sequence number is the next one), and on RETRY resume with
 * {@code request.resumedAfter(lastSeq, deliveredText, failedWorker)} on a new stream of the same connection. END
 * completes it; an ERROR is final (NO_HEALTHY_WORKER: ask again shortly). It gives up after {@link #MAX_LEGS} legs
 * so that a director that keeps swapping a generation fails the test instead of hanging it.
 */
public final class ResumingClient implements AutoCloseable {

    public static final int MAX_LEGS = 8;
    private static final long FRAME_TIMEOUT_SECONDS = 30;

    private final RawQuicClient quic;
    /** Counted down by {@link #close}: a generation backing off stops waiting at once. */
    private final CountDownLatch closed = new CountDownLatch(1);

    public ResumingClient(int directorQuicPort) throws Exception {
        this.quic = new RawQuicClient(RawQuicClient.tls(TlsIdentity.of(CertificateDirectory.locate(
                ProcessCluster.repositoryRoot().resolve("certs").toString()), "client")), directorQuicPort);
    }

    /** Starts {@code request} on its own thread; the returned generation fills in as frames arrive. */
    public Generation start(GenerationRequest request) {
        Generation generation = new Generation(request);
        Thread thread = new Thread(generation::run, "resuming-client-" + request.generationId());
        thread.setDaemon(true);
        thread.start();
        return generation;
    }

    /** Runs {@code request} to its end. */
    public Generation run(GenerationRequest request, Duration within) {
        return start(request).await(within);
    }

    @Override
    public void close() {
        closed.countDown();
        quic.close();
    }

    /** One generation as this client saw it. */
    public final class Generation {
        private final GenerationRequest request;
        private final StringBuilder text = new StringBuilder();
        private final List<String> workers = new CopyOnWriteArrayList<>();
        private final List<Retry> retries = new CopyOnWriteArrayList<>();
        private volatile int lastSequence;
        private volatile End end;
        private volatile StreamError error;
        private volatile String failure;
        private volatile boolean done;

        private Generation(GenerationRequest request) {
            this.request = request;
        }

        private void run() {
            try {
                GenerationRequest current = request;
                for (int leg = 1; leg <= MAX_LEGS && !done; leg++) {
                    current = leg(current);
                }
                if (!done) {
                    failure = "gave up after " + MAX_LEGS + " legs; retries: " + retries;
                }
            } catch (Exception e) {
                failure = "client failed: " + e;
            } finally {
                done = true;
            }
        }

        /** One stream; returns the request of the next leg (the same one after NO_HEALTHY_WORKER). */
        private GenerationRequest leg(GenerationRequest current) throws Exception {
            RawQuicClient.Stream stream = quic.openStream();
            stream.write(current);
            while (true) {
                Message message = stream.next(FRAME_TIMEOUT_SECONDS);
                if (message == null) {
                    throw new IllegalStateException("no frame for " + FRAME_TIMEOUT_SECONDS + " s after token " + lastSequence);
                }
                if (message instanceof Connected connected) {
                    workers.add(connected.worker());
                } else if (message instanceof Token token) {
                    if (token.sequence() != lastSequence + 1) {
                        throw new IllegalStateException("token " + token.sequence() + " where " + (lastSequence + 1) + " was due");
                    }
                    synchronized (text) {
                        text.append(token.text());
                    }
                    lastSequence = token.sequence();
                } else if (message instanceof End last) {
                    end = last;
                    done = true;
                    finish(stream);
                    return current;
                } else if (message instanceof Retry retry) {
                    retries.add(retry);
                    finish(stream);
                    if (retry.lastSequence() != lastSequence) {
                        throw new IllegalStateException("RETRY after " + retry.lastSequence() + " but the client has "
                                + lastSequence);
                    }
                    return current.resumedAfter(lastSequence, text(), retry.failedWorker());
                } else if (message instanceof StreamError streamError) {
                    finish(stream);
                    if (streamError.code() == ErrorCode.NO_HEALTHY_WORKER) {
                        if (closed.await(200, TimeUnit.MILLISECONDS)) { // the client's backoff, or its close
                            throw new IllegalStateException("client closed while no worker was healthy");
                        }
                        return current;
                    }
                    error = streamError;
                    done = true;
                    return current;
                } else {
                    throw new IllegalStateException("unexpected " + message.frameType() + " frame");
                }
            }
        }

        private void finish(RawQuicClient.Stream stream) {
            try {
                stream.finish();
            } catch (RuntimeException e) {
                // the director ended the stream already
            }
        }

        /** Waits until the generation ended (END, a final ERROR, or a client failure). */
        public Generation await(Duration within) {
            Awaitility.await(request.generationId() + " ends").atMost(within)
                    .pollInterval(Duration.ofMillis(20)).until(() -> done);
            return this;
        }

        public String text() {
            synchronized (text) {
                return text.toString();
            }
        }

        public int tokens() {
            return lastSequence;
        }

        /** The workers that served it, in order (one per CONNECTED). */
        public List<String> workers() {
            return new ArrayList<>(workers);
        }

        public String currentWorker() {
            List<String> seen = workers();
            return seen.isEmpty() ? null : seen.get(seen.size() - 1);
        }

        public List<Retry> retries() {
            return List.copyOf(retries);
        }

        public End end() {
            return end;
        }

        public StreamError error() {
            return error;
        }

        /** Why the client itself gave up (a sequence error, a silent stream, too many legs), or null. */
        public String failure() {
            return failure;
        }

        public boolean done() {
            return done;
        }

        @Override
        public String toString() {
            return "generation " + request.generationId() + ": tokens=" + lastSequence + " workers=" + workers
                    + " retries=" + retries + " end=" + end + " error=" + error + " failure=" + failure;
        }
    }
}
