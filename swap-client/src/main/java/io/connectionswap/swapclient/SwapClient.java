package io.connectionswap.swapclient;

import io.connectionswap.protocol.log.LogLine;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.ClusterStatus;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicTransport;
import io.connectionswap.protocol.quic.RoleEventLoopGroup;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.protocol.retry.Backoff;
import io.connectionswap.swapclient.internal.ClientLoop;
import io.connectionswap.swapclient.internal.DirectorLink;
import io.connectionswap.swapclient.internal.DirectorLinkSettings;
import io.connectionswap.swapclient.internal.GenerationRun;
import io.connectionswap.swapclient.internal.GuardedListener;
import io.connectionswap.swapclient.internal.LoopFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * A client of connection-swap: holds ONE QUIC connection to a director and runs any number of generations on it at
 * once, each on its own stream.
 *
 * <pre>{@code
 * SwapClient client = SwapClient.builder()
 *         .directors("127.0.0.1:61000")
 *         .identity(TlsIdentity.of(CertificateDirectory.locate(null), "client"))
 *         .build()
 *         .start();                 // one client for the application's life: close() ends every generation
 * client.completion("stand-in", "Once upon a time", SamplingParameters.maxTokens(20))
 *       .subscribe(mySubscriber);   // GenerationEvent: Assigned, Token..., (Assigned, Swapped,) Completed
 * }</pre>
 *
 * <p>The client's threads are daemons: a {@code main} that only subscribes returns, and the JVM exits, before the
 * first token; wait for the end there (the README's example blocks on it with Reactor's {@code blockLast()}).
 *
 * <p>A generation is a {@link Flow.Publisher} for one subscriber: subscribing opens its stream, cancelling the
 * subscription ends it on the director and the worker. A second subscription (Reactor's {@code retry()}, say) fails
 * with {@code IllegalStateException}: to run a generation again, call {@code completion(...)} again (with Reactor,
 * inside {@code Flux.defer}). When the serving worker fails the director tells the client where to resume,
 * and the client continues the same generation on a new stream of the same connection, sending the text delivered so
 * far; the subscriber sees one stream of tokens (and a {@link GenerationEvent.Swapped} where it moved). While no
 * worker is healthy the client asks again with capped exponential backoff and jitter; when the director itself is
 * lost it reconnects (to the next address, when several are given) and resumes every generation there. Every
 * token's sequence number is checked: a duplicate is dropped, a gap is repaired by resuming after the last good
 * token. A subscriber that falls behind stops the client reading that stream, which slows the worker: memory stays
 * bounded.
 *
 * <p>Signals are delivered on the client's I/O thread: do not block in {@code onNext} (move slow work elsewhere).
 * Thread-safe. The exceptions: {@code onSubscribe} comes on the thread that subscribes, inside {@code subscribe};
 * and once the client is closed, its own event loop (the default: no {@link Builder#eventLoopGroup}) has ended, so a
 * generation subscribed then gets {@code onError(CANCELLED "the client is closed")} on the subscribing thread, before
 * {@code subscribe} returns (with a group of the application's, which outlives the client, on the client's thread as
 * always).
 */
public final class SwapClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SwapClient.class);

    /** How long a generation started without {@link GenerationOptions} waits, unless {@link Builder#noWorkerWait}. */
    public static final long DEFAULT_NO_WORKER_WAIT_SECONDS = 30;

    private final Builder config;
    /** The loop this client made for itself and shuts down on close; null when the builder gave a group. */
    private final IoEventLoop ownLoop;
    private final EventLoop eventLoop;
    private final ClientLoop loop;
    private final DirectorLink link;
    private final LiveGenerations generations;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;

    private SwapClient(Builder settings) {
        Builder builder = settings.copy(); // the client keeps these settings, whatever the builder is told after
        this.config = builder;
        this.ownLoop = builder.group == null ? QuicEventLoops.single("swap-client-quic") : null;
        this.eventLoop = ownLoop != null ? ownLoop : builder.group.next();
        this.loop = ClientLoop.of(eventLoop);
        this.link = new DirectorLink(new DirectorLinkSettings(builder.directors, builder.directorTlsName,
                builder.quic, builder.retryBackoff, builder.retryBackoffMax, builder.heartbeatInterval,
                builder.heartbeatTimeout, builder.tokenStream), eventLoop, builder.tls, builder.listener);
        this.generations = new LiveGenerations(loop, () -> closed, this::newRun);
    }

    /** A builder; {@link Builder#directors} and the TLS ({@link Builder#certificates}, {@link Builder#identity} or {@link Builder#tls}) are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Connects to the first director address (in the background; generations wait for it). Idempotent. */
    public SwapClient start() {
        if (closed) {
            throw new IllegalStateException("client is closed");
        }
        if (started.compareAndSet(false, true)) {
            link.start();
        }
        return this;
    }

    /**
     * A new completion of {@code prompt} by {@code model} (null: any worker), waiting for a director connection and a
     * healthy worker at most the builder's {@link Builder#noWorkerWait} ({@value #DEFAULT_NO_WORKER_WAIT_SECONDS} s
     * unless set), then {@code NO_HEALTHY_WORKER}.
     */
    public Flow.Publisher<GenerationEvent> completion(String model, String prompt, SamplingParameters sampling) {
        return completion(model, prompt, sampling, config.defaultOptions);
    }

    /**
     * A new completion of {@code prompt} by {@code model} (null: any worker); {@code options} bound the wait for a
     * healthy worker ({@link GenerationOptions#waitAtMost}: then {@code NO_HEALTHY_WORKER}).
     */
    public Flow.Publisher<GenerationEvent> completion(String model, String prompt, SamplingParameters sampling,
                                                      GenerationOptions options) {
        return generate(new GenerationRequest(newGenerationId(), model, prompt, null, sampling, 0, null, null, 0, null,
                config.tokenStream), options);
    }

    /**
     * A new chat completion of {@code messages} by {@code model} (null: any worker), waiting at most the builder's
     * {@link Builder#noWorkerWait} for a director connection and a healthy worker.
     */
    public Flow.Publisher<GenerationEvent> chat(String model, List<ChatMessage> messages, SamplingParameters sampling) {
        return chat(model, messages, sampling, config.defaultOptions);
    }

    /** A new chat completion of {@code messages}; {@code options} bound the wait for a healthy worker. */
    public Flow.Publisher<GenerationEvent> chat(String model, List<ChatMessage> messages, SamplingParameters sampling,
                                                GenerationOptions options) {
        return generate(new GenerationRequest(newGenerationId(), model, null, messages, sampling, 0, null, null, 0, null,
                config.tokenStream), options);
    }

    /**
     * {@link #generate(GenerationRequest, GenerationOptions)}, waiting at most the builder's
     * {@link Builder#noWorkerWait} for a director connection and a healthy worker.
     */
    public Flow.Publisher<GenerationEvent> generate(GenerationRequest request) {
        return generate(request, config.defaultOptions);
    }

    /**
     * The generation {@code request} describes (a new one: {@code resumeAfter} 0), as a publisher for one
     * subscriber. Nothing happens until it subscribes. It ends with {@link GenerationEvent.Completed} then
     * {@code onComplete}, or {@code onError} with a {@link GenerationException}.
     */
    public Flow.Publisher<GenerationEvent> generate(GenerationRequest request, GenerationOptions options) {
        if (request == null || options == null) {
            throw new IllegalArgumentException("request and options are required");
        }
        if (request.isResume()) {
            throw new IllegalArgumentException("request resumes after " + request.resumeAfter()
                    + " (expected: a new generation; the client resumes by itself)");
        }
        return generations.publisher(request, options);
    }

    /**
     * Every worker the director knows, with state and models; fails when not connected (saying why) or after 5 s, and
     * with {@code IllegalStateException("client is closed")} once closed. The client's I/O thread completes it: in a
     * subscriber's callback react to it ({@code thenAccept}); {@code get()} or {@code join()} there, which would block
     * that thread for good, throws {@code IllegalStateException} at once.
     */
    public CompletableFuture<ClusterStatus> status() {
        if (!closed) {
            try {
                return link.status("swap-client", Duration.ofSeconds(5));
            } catch (RejectedExecutionException e) { // closed meanwhile: its event loop is gone
            }
        }
        return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
    }

    /**
     * Completes once the client is connected to a director (at once when it is): for an application that asks
     * {@link #status()} right after {@link #start()}, or waits for the connection before it reports ready. It fails
     * with {@code IllegalStateException("client is closed")} only when the client is closed: at once when it is
     * already, else when it closes while the future waits (on the application's {@link Builder#eventLoopGroup} too,
     * which outlives the client); bound the wait with {@link CompletableFuture#orTimeout} (a director that never
     * answers). Generations need not wait for it: they wait themselves. As with {@link #status()}, waiting for it in a
     * subscriber's callback throws {@code IllegalStateException} at once.
     */
    public CompletableFuture<Void> connected() {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
        }
        CompletableFuture<Void> connected = new LoopFuture<>(eventLoop);
        try {
            loop.execute(() -> link.whenConnected(connected)); // fails it if the client closed meanwhile
        } catch (RejectedExecutionException e) { // closed meanwhile: its event loop is gone; it will never connect
            connected.completeExceptionally(new IllegalStateException("client is closed"));
        }
        return connected;
    }

    /** The connection as it is now (for health checks). */
    public ConnectionState connectionState() {
        return link.state();
    }

    /** Generations running now. */
    public int activeGenerations() {
        return generations.running();
    }

    /**
     * QUIC stream channels the client's connection(s) hold now, from any thread (for a gauge such as
     * {@code swap_quic_streams_open}): the control stream, the client token stream (with {@code tokenStream} on) and
     * the generation streams in flight. A number that grows
     * with the generations served means streams are not released.
     */
    public int openStreams() {
        return link.streamsHeld();
    }

    /**
     * Streams waiting now, from any thread (for a gauge such as {@code connection_swap_client_streams_waiting}), for
     * the director's stream limit ({@code CONNECTION_SWAP_MAX_STREAMS_PER_CONNECTION}) to let them open: generations
     * (and status calls) past it wait, in order, for streams to end, as HTTP/2 requests past MAX_CONCURRENT_STREAMS
     * do. Above 0 for long: the connection carries as many generations as the director allows one connection.
     */
    public int streamsWaiting() {
        return link.streamsWaiting();
    }

    /**
     * Ends every running generation with {@code CANCELLED}, and one whose last events its subscriber has not asked for
     * yet (a generation whose {@code Completed} was handed over already ends with {@code onComplete}: closed in
     * {@code onNext(Completed)}), closes the connection and, when the client created its own event loop, shuts it
     * down (waiting up to 5 s). Called from a subscriber's callback, on that loop, it does
     * not wait: the loop ends once the callback returns. Once it has returned no thread of the client is left (nor
     * Netty's {@code GlobalEventExecutor}, which a group's end would start), except the lookup thread that director
     * host names, not IP addresses, need: shared by the clients of the JVM, it ends 30 s after the last lookup.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // the link stops in the same task: a connect attempt queued behind it finds it stopped, instead of dialling on
        // a loop that is shutting down and reporting "cannot reach director"
        Runnable endAll = () -> {
            try {
                generations.endAll();
            } finally {
                link.stop();
            }
        };
        if (eventLoop.inEventLoop()) {
            endAll.run(); // closed from a subscriber's callback
        } else {
            CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                loop.execute(() -> {
                    endAll.run();
                    done.complete(null);
                });
                done.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closing goes on; the caller's thread keeps its interrupt
            } catch (TimeoutException | ExecutionException | RejectedExecutionException e) {
                LogLine.warn(log).field("running", generations.running()).quoted("problem", e.toString())
                        .log("the client's event loop did not end its generations within 5 s; closing anyway");
            }
            if (!done.isDone()) {
                try {
                    link.stop(); // queued behind whatever holds the loop
                } catch (RejectedExecutionException gone) {
                    // the loop is gone, and the connection with it
                }
            }
        }
        if (ownLoop != null) {
            // no quiet period: every task already queued still runs (the connection sends its CONNECTION_CLOSE)
            Future<?> terminated = ownLoop.shutdownGracefully(0, RoleEventLoopGroup.SHUTDOWN_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
            // on its own thread (a subscriber's callback) the loop can only end once the callback returns
            if (!eventLoop.inEventLoop()) {
                terminated.awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The run of one subscription, with the settings as they are now. */
    private GenerationRun newRun(Flow.Subscriber<? super GenerationEvent> subscriber, GenerationRequest request,
                                 GenerationOptions options) {
        Backoff backoff = Backoff.exponential(config.retryBackoff, config.retryBackoffMax);
        return new GenerationRun(loop, link, config.listener, subscriber, request, options, backoff,
                config.tokenLogLevel);
    }

    private static String newGenerationId() {
        return UUID.randomUUID().toString();
    }

    /** Settings of a {@link SwapClient}. */
    public static final class Builder {
        /** How errors name {@link #directors}. */
        private static final String DIRECTORS = "SwapClient.Builder.directors";

        private List<HostPort> directors;
        private String directorTlsName;
        private TlsContexts tls;
        private QuicSettings quic = QuicSettings.DEFAULTS;
        private Duration retryBackoff = Duration.ofMillis(100);
        private Duration retryBackoffMax = Duration.ofSeconds(5);
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration heartbeatTimeout = Duration.ofMillis(3500);
        private SwapClientListener listener = SwapClientListener.NONE;
        private EventLoopGroup group;
        private boolean tokenStream = true;
        private Level tokenLogLevel = Level.DEBUG;
        private GenerationOptions defaultOptions =
                GenerationOptions.waitAtMost(Duration.ofSeconds(DEFAULT_NO_WORKER_WAIT_SECONDS));

        private Builder() {
        }

        /** A copy of these settings (a client keeps its own: the builder may be reused). */
        private Builder copy() {
            Builder copy = new Builder();
            copy.directors = directors;
            copy.directorTlsName = directorTlsName;
            copy.tls = tls;
            copy.quic = quic;
            copy.retryBackoff = retryBackoff;
            copy.retryBackoffMax = retryBackoffMax;
            copy.heartbeatInterval = heartbeatInterval;
            copy.heartbeatTimeout = heartbeatTimeout;
            copy.listener = listener;
            copy.group = group;
            copy.tokenStream = tokenStream;
            copy.tokenLogLevel = tokenLogLevel;
            copy.defaultOptions = defaultOptions;
            return copy;
        }

        /**
         * Director addresses, tried in turn when one is lost; each port from 1 to 65535 (0, a free port, only means
         * something when binding), else {@code IllegalArgumentException}.
         */
        public Builder directors(List<HostPort> addresses) {
            if (addresses == null || addresses.isEmpty()) {
                throw new IllegalArgumentException("directors: none given (expected at least one host:port)");
            }
            for (HostPort address : addresses) {
                Objects.requireNonNull(address, "directors: a null address").checkPort(DIRECTORS + "=" + address,
                        HostPort.LOWEST_DIAL_PORT);
            }
            this.directors = List.copyOf(addresses);
            return this;
        }

        /**
         * Comma-separated {@code host:port} director addresses ({@code "10.0.0.5:61000,10.0.0.6:61000"}); an empty
         * host or a port outside 1-65535 fails with {@code IllegalArgumentException} saying what was expected.
         */
        public Builder directors(String commaSeparated) {
            return directors(HostPort.parseList(DIRECTORS, commaSeparated, HostPort.LOWEST_DIAL_PORT));
        }

        /** The name the director's certificate must carry; null or blank: the host dialled. */
        public Builder directorTlsName(String name) {
            this.directorTlsName = name;
            return this;
        }

        /** This client's certificate and the CA it trusts (e.g. {@code TlsIdentity.of(dir, "client")}), read now. */
        public Builder identity(TlsIdentity tlsIdentity) {
            return tls(TlsContexts.client("client", tlsIdentity.material()));
        }

        /**
         * This client's TLS, which may rotate: a connection to a director takes the context current when it is opened
         * (a Spring application builds it from an SSL bundle and reloads it when the bundle's files change).
         */
        public Builder tls(TlsContexts contexts) {
            this.tls = contexts;
            return this;
        }

        /** The PEM files of {@code certsDir} (null: the repository's {@code certs/}) with the role {@code client}. */
        public Builder certificates(String certsDir) {
            return identity(TlsIdentity.of(CertificateDirectory.locate(certsDir, "SwapClient.Builder.certificates"),
                    "client"));
        }

        /**
         * How long, in a row, a generation started without {@link GenerationOptions} ({@code completion}, {@code chat}
         * or {@code generate} without them) waits for a director connection and a healthy worker, retrying with
         * backoff, before it fails with {@code NO_HEALTHY_WORKER} saying why (the address and the last problem when no
         * director could be reached); default {@value SwapClient#DEFAULT_NO_WORKER_WAIT_SECONDS} s. As gRPC fails a
         * call that finds no connection (unless it asks to wait for ready), a generation does not wait unseen for
         * ever: a wrong address or CA, or a cluster without a healthy worker, reaches the subscriber. Null: as long as
         * it takes ({@link GenerationOptions#WAIT_FOREVER}). A generation's own options override it.
         */
        public Builder noWorkerWait(Duration wait) {
            this.defaultOptions = new GenerationOptions(wait);
            return this;
        }

        /** The options of a generation started without its own (what {@link #noWorkerWait} set); for tests. */
        GenerationOptions defaultOptions() {
            return defaultOptions;
        }

        /** QUIC limits (default {@link QuicSettings#DEFAULTS}). */
        public Builder quicSettings(QuicSettings settings) {
            this.quic = settings;
            return this;
        }

        /** First and longest pause between attempts (no healthy worker, no director); default 100 ms and 5 s. */
        public Builder retryBackoff(Duration initial, Duration max) {
            Backoff.check(initial, max);
            this.retryBackoff = initial;
            this.retryBackoffMax = max;
            return this;
        }

        /** Application heartbeat to the director and how long without an echo means it is gone (1 s, 3.5 s). */
        public Builder heartbeat(Duration interval, Duration timeout) {
            if (interval == null || timeout == null || interval.isZero() || interval.isNegative()
                    || timeout.compareTo(interval) <= 0) {
                throw new IllegalArgumentException("heartbeat interval " + interval + " and timeout " + timeout
                        + " (expected: 0 < interval < timeout)");
            }
            this.heartbeatInterval = interval;
            this.heartbeatTimeout = timeout;
            return this;
        }

        /**
         * Whether every generation asks for the client token stream (default true): a director that knows it then
         * sends the frames of all the connection's generations on one stream (the control stream, each frame tagged
         * with its generation's stream), so tokens of concurrent generations share packets instead of each taking
         * its own; the generation stream still carries the request, pauses and the end. A director that does not
         * know it answers on each generation's stream as before. This setting decides for every request, whatever
         * the request's own {@code tokenStream} says; false: every generation on its own stream only.
         */
        public Builder tokenStream(boolean enabled) {
            this.tokenStream = enabled;
            return this;
        }

        /**
         * The level of the per-token line {@code received token} on the logger {@code io.connectionswap.client.tokens}
         * (default DEBUG: an application's log does not get a line per token unless it asks; client-service logs them
         * at INFO, as the seed's client does).
         */
        public Builder tokenLogLevel(Level level) {
            this.tokenLogLevel = Objects.requireNonNull(level, "level");
            return this;
        }

        /** Metrics hooks. */
        public Builder listener(SwapClientListener metrics) {
            this.listener = metrics == null ? SwapClientListener.NONE : GuardedListener.of(metrics); // one for all
            return this;
        }

        /**
         * An event loop group to run on (its {@code next()} loop carries the connection); the client does not shut it
         * down. Default (null): a one-thread group of its own. It must be able to carry the QUIC connection's UDP
         * socket: a NIO I/O group ({@code new MultiThreadIoEventLoopGroup(n, NioIoHandler.newFactory())}), or an epoll
         * one where Netty's native epoll loads; another (a {@code DefaultEventLoopGroup}, KQueue, io_uring) is refused
         * with an {@link IllegalArgumentException}.
         */
        public Builder eventLoopGroup(EventLoopGroup eventLoopGroup) {
            if (eventLoopGroup != null && !QuicTransport.supports(eventLoopGroup)) {
                throw new IllegalArgumentException("SwapClient.Builder.eventLoopGroup=" + eventLoopGroup.getClass()
                        .getName() + " cannot carry the QUIC connection's UDP socket (expected: a NIO I/O group, e.g. "
                        + "new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), or an epoll one where "
                        + "Netty's native epoll loads)");
            }
            this.group = eventLoopGroup;
            return this;
        }

        /** A client, not connected yet: call {@link SwapClient#start()}. */
        public SwapClient build() {
            if (directors == null) {
                throw new IllegalStateException("directors are required (e.g. 127.0.0.1:61000)");
            }
            if (tls == null) {
                throw new IllegalStateException("TLS is required (certificates(dir), identity(...) or tls(...): the "
                        + "client certificate and the trusted CA)");
            }
            return new SwapClient(this);
        }

    }
}
