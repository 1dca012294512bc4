package io.connectionswap.bench;

import io.connectionswap.protocol.quic.CoalescedSends;
import io.connectionswap.protocol.quic.DatagramCounter;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicCodecs;
import io.connectionswap.protocol.quic.QuicConnector;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicSettings;
import io.connectionswap.protocol.quic.QuicTransport;
import io.connectionswap.protocol.quic.SendHeldAfterRead;
import io.connectionswap.protocol.tls.ClientCertificates;
import io.connectionswap.protocol.tls.DevelopmentPki;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.ReferenceCountUtil;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The floor under the director's CPU per relayed token: a bare relay on the same QUIC stack (Netty 4.2 with its
 * quiche, TLS 1.3 on both legs, the project's QUIC settings, transport and {@link CoalescedSends}), without any of the
 * director's logic (no frames decoded, no sessions, no stall watch, no metrics). Three event loops in one JVM, each on
 * its own thread: a worker that writes a 40-byte token on every stream at once each interval (lockstep, as the
 * bench's {@code --pacing=lockstep}), the relay, and a client that counts tokens and their latency. The relay thread's
 * CPU time (user + system, {@code ThreadMXBean}) over the window, divided by the tokens the client received, is the
 * figure.
 *
 * <p>Two worker legs:
 * <ul>
 *   <li>{@code streams} (what the system does): one worker stream per client stream; the worker's quiche puts one
 *       STREAM frame per packet, so every token reaches the relay in its own datagram.</li>
 *   <li>{@code mux}: one stream per worker connection carries every session's tokens, each prefixed with a 4-byte
 *       session index; a tick's tokens of one connection arrive in a few full datagrams. What a multiplexed
 *       director-worker protocol would save, before building one.</li>
 * </ul>
 * Two client legs likewise: {@code streams} (what the system does: tokens on each session's own client stream, one
 * datagram per token, quiche's one STREAM frame per packet) and {@code mux}: each client connection opens one more
 * stream on which the relay writes every session's tokens of that connection, prefixed with the session index (what a
 * multiplexed client protocol would save; the session streams stay open, idle).
 *
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.connectionswap.bench.RelayFloor \
 *     --streams=1000 --worker-leg=streams
 * </pre>
 */
public final class RelayFloor {

    static final int TOKEN_BYTES = 40;
    static final int INDEX_BYTES = 4;

    static final String USAGE = "options: --streams=N (1000) --client-connections=N (10) --worker-connections=N (4) "
            + "--interval-ms=N (50) --warmup-seconds=N (5) --seconds=N (10) --worker-leg=streams|mux (streams) "
            + "--client-leg=streams|mux (streams) --coalesce=true|false (true) --transport=auto|epoll|nio (auto)";

    record Options(int streams, int clientConnections, int workerConnections, Duration interval, Duration warmup,
                   Duration window, boolean mux, boolean clientMux, boolean coalesce, QuicTransport transport) {

        static Options parse(String[] args) {
            int streams = 1000;
            int clientConnections = 10;
            int workerConnections = 4;
            long intervalMs = 50;
            long warmupSeconds = 5;
            long windowSeconds = 10;
            boolean mux = false;
            boolean clientMux = false;
            boolean coalesce = true;
            QuicTransport transport = QuicTransport.fromSetting("--transport", "auto");
            for (String arg : args) {
                String[] pair = arg.split("=", 2);
                String value = pair.length == 2 ? pair[1] : "";
                switch (pair[0]) {
                    case "--streams" -> streams = Integer.parseInt(value);
                    case "--client-connections" -> clientConnections = Integer.parseInt(value);
                    case "--worker-connections" -> workerConnections = Integer.parseInt(value);
                    case "--interval-ms" -> intervalMs = Long.parseLong(value);
                    case "--warmup-seconds" -> warmupSeconds = Long.parseLong(value);
                    case "--seconds" -> windowSeconds = Long.parseLong(value);
                    case "--worker-leg" -> mux = leg("--worker-leg", value);
                    case "--client-leg" -> clientMux = leg("--client-leg", value);
                    case "--coalesce" -> coalesce = Boolean.parseBoolean(value);
                    case "--transport" -> transport = QuicTransport.fromSetting("--transport", value);
                    case "--help" -> {
                        System.out.println(USAGE);
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg + "; " + USAGE);
                }
            }
            if (streams < 1 || clientConnections < 1 || workerConnections < 1 || intervalMs < 1) {
                throw new IllegalArgumentException("streams, connections and interval must be at least 1");
            }
            return new Options(streams, clientConnections, workerConnections, Duration.ofMillis(intervalMs),
                    Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(windowSeconds), mux, clientMux, coalesce,
                    transport);
        }

        /** Whether a leg option says {@code mux} (else {@code streams}). */
        private static boolean leg(String option, String value) {
            return switch (value) {
                case "streams" -> false;
                case "mux" -> true;
                default -> throw new IllegalArgumentException(option + "=" + value + " (expected: streams or mux)");
            };
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path pki = Files.createTempDirectory("relay-floor-pki");
        DevelopmentPki.create(pki);
        QuicSettings settings = QuicSettings.DEFAULTS.withMaxBidirectionalStreams(Math.max(options.streams() * 2L, 100));
        EventLoopGroup workerLoop = QuicEventLoops.create("floor-worker", 1, options.transport());
        EventLoopGroup relayLoop = QuicEventLoops.create("floor-relay", 1, options.transport());
        EventLoopGroup clientLoop = QuicEventLoops.create("floor-client", 1, options.transport());
        QuicTransport transport = QuicTransport.of(relayLoop);
        try {
            Worker worker = new Worker(options);
            QuicServerEndpoint workerServer = QuicServerEndpoint.bind("floor-worker", "worker", workerLoop,
                    HostPort.parse("worker", "127.0.0.1:0"), QuicCodecs.server(settings,
                            TlsContexts.server("worker", TlsIdentity.of(pki, "worker").material(),
                                    ClientCertificates.anyOfTheCa(true)).serverContext(),
                            new NoOp(), worker.streamHandler(), null,
                            QuicTransport.of(workerLoop).segments(true)));
            workerLoop.scheduleAtFixedRate(worker::tick, options.interval().toNanos(), options.interval().toNanos(),
                    TimeUnit.NANOSECONDS);

            DatagramCounter relayDatagrams = new DatagramCounter();
            Relay relay = new Relay(options);
            QuicConnector toWorker = options.coalesce()
                    ? new QuicConnector(relayLoop, settings, TlsContexts.client("director",
                            TlsIdentity.of(pki, "director").material()).clientContext(), true, relayDatagrams,
                            SendHeldAfterRead.INSTANCE)
                    : new QuicConnector(relayLoop, settings, TlsContexts.client("director",
                            TlsIdentity.of(pki, "director").material()).clientContext(), true, relayDatagrams);
            InetSocketAddress workerAddress = new InetSocketAddress("127.0.0.1", workerServer.localAddress().getPort());
            for (int i = 0; i < options.workerConnections(); i++) {
                relay.addWorkerConnection(toWorker.connect(workerAddress, "localhost", null, null).get(20,
                        TimeUnit.SECONDS));
            }
            QuicServerEndpoint relayServer = QuicServerEndpoint.bind("floor-relay", "relay", relayLoop,
                    HostPort.parse("relay", "127.0.0.1:0"), QuicCodecs.server(settings,
                            TlsContexts.server("director", TlsIdentity.of(pki, "director").material(),
                                    ClientCertificates.anyOfTheCa(false)).serverContext(),
                            new NoOp(), relay.clientStreamHandler(), null,
                            transport.segments(true)), relayDatagrams);
            if (options.mux()) {
                relay.openLinkStreams().await();
            }

            Client client = new Client(clientLoop);
            QuicConnector toRelay = new QuicConnector(clientLoop, settings, TlsContexts.client("client",
                    TlsIdentity.of(pki, "client").material()).clientContext());
            InetSocketAddress relayAddress = new InetSocketAddress("127.0.0.1", relayServer.localAddress().getPort());
            List<QuicChannel> connections = new ArrayList<>();
            for (int i = 0; i < options.clientConnections(); i++) {
                connections.add(toRelay.connect(relayAddress, "localhost", null, null).get(20, TimeUnit.SECONDS));
            }
            if (options.clientMux()) {
                for (QuicChannel connection : connections) {
                    QuicStreamChannel tokens = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                            new ChannelInitializer<QuicStreamChannel>() {
                                @Override
                                protected void initChannel(QuicStreamChannel channel) {
                                    channel.pipeline().addLast(
                                            new FixedLengthFrameDecoder(INDEX_BYTES + TOKEN_BYTES), client);
                                }
                            }).get(20, TimeUnit.SECONDS);
                    tokens.writeAndFlush(tokens.alloc().buffer(INDEX_BYTES).writeInt(-1)).sync();
                }
                relay.awaitClientTokenStreams(connections.size());
            }
            for (int i = 0; i < options.streams(); i++) {
                QuicChannel connection = connections.get(i % connections.size());
                int index = i;
                QuicStreamChannel stream = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                        new ChannelInitializer<QuicStreamChannel>() {
                            @Override
                            protected void initChannel(QuicStreamChannel channel) {
                                channel.pipeline().addLast(new FixedLengthFrameDecoder(TOKEN_BYTES), client);
                            }
                        }).get(20, TimeUnit.SECONDS);
                ByteBuf hello = stream.alloc().buffer(INDEX_BYTES).writeInt(index);
                stream.writeAndFlush(hello).sync();
            }

            System.out.printf(Locale.ROOT, "relay floor: %d streams over %d client connections, worker leg %s over %d "
                            + "connections, client leg %s, a token every %d ms on every stream (lockstep), coalesced "
                            + "sends %s, %s%n",
                    options.streams(), options.clientConnections(), options.mux() ? "mux (one stream per connection)"
                            : "streams (one per session)", options.workerConnections(), options.clientMux()
                            ? "mux (one stream per connection)" : "streams (one per session)",
                    options.interval().toMillis(), options.coalesce(), transport.label());
            Thread.sleep(options.warmup().toMillis());
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long relayThread = threadId(relayLoop);
            long workerThread = threadId(workerLoop);
            long clientThread = threadId(clientLoop);
            long relayCpu = threads.getThreadCpuTime(relayThread);
            long workerCpu = threads.getThreadCpuTime(workerThread);
            long clientCpu = threads.getThreadCpuTime(clientThread);
            long tokens = client.tokens.get();
            long datagramsIn = relayDatagrams.received();
            long datagramsOut = relayDatagrams.sent();
            long writes = relayDatagrams.writes();
            long started = System.nanoTime();
            client.resetLatency();
            Thread.sleep(options.window().toMillis());
            double seconds = (System.nanoTime() - started) / 1e9;
            long relayed = client.tokens.get() - tokens;
            Histogram latency = client.latency();
            double expected = options.streams() * (1000.0 / options.interval().toMillis());
            System.out.printf(Locale.ROOT, "tokens/s          %.0f of %.0f%n", relayed / seconds, expected);
            System.out.printf(Locale.ROOT, "relay CPU         %.2f µs per token (%.2f of a core)%n",
                    (threads.getThreadCpuTime(relayThread) - relayCpu) / 1e3 / relayed,
                    (threads.getThreadCpuTime(relayThread) - relayCpu) / 1e9 / seconds);
            System.out.printf(Locale.ROOT, "worker CPU        %.2f µs per token%n",
                    (threads.getThreadCpuTime(workerThread) - workerCpu) / 1e3 / relayed);
            System.out.printf(Locale.ROOT, "client CPU        %.2f µs per token%n",
                    (threads.getThreadCpuTime(clientThread) - clientCpu) / 1e3 / relayed);
            System.out.printf(Locale.ROOT, "relay datagrams   %.3f in, %.3f out (%.3f writes) per token%n",
                    (relayDatagrams.received() - datagramsIn) / (double) relayed,
                    (relayDatagrams.sent() - datagramsOut) / (double) relayed,
                    (relayDatagrams.writes() - writes) / (double) relayed);
            System.out.printf(Locale.ROOT, "token latency     p50 %.0f µs, p99 %.0f µs (worker write to client read)%n",
                    latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(99) / 1e3);
        } finally {
            clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            relayLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** The connections' own handler: nothing to do (one instance for every connection). */
    @ChannelHandler.Sharable
    private static final class NoOp extends ChannelInboundHandlerAdapter {
    }

    private static long threadId(EventLoopGroup loop) throws Exception {
        return loop.next().submit(() -> Thread.currentThread().getId()).get(5, TimeUnit.SECONDS);
    }

    /** Writes a token on every session at each tick: per stream, or per connection's multiplexed stream. */
    static final class Worker {
        private final Options options;
        /** Streams mode: the session streams. Mux mode: the link streams, each with its sessions' indices. */
        private final List<QuicStreamChannel> streams = new ArrayList<>();
        private final List<List<Integer>> sessionsOf = new ArrayList<>();
        private long sequence;

        Worker(Options options) {
            this.options = options;
        }

        ChannelHandler streamHandler() {
            return new ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel stream) {
                    stream.pipeline().addLast(new FixedLengthFrameDecoder(INDEX_BYTES),
                            new ChannelInboundHandlerAdapter() {
                                private List<Integer> sessions;

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    int index = ((ByteBuf) msg).readInt();
                                    ReferenceCountUtil.release(msg);
                                    if (!options.mux()) {
                                        streams.add(stream);
                                        return;
                                    }
                                    if (index < 0) { // the link stream's hello
                                        sessions = new ArrayList<>();
                                        streams.add(stream);
                                        sessionsOf.add(sessions);
                                    } else {
                                        sessions.add(index);
                                    }
                                }
                            });
                }
            };
        }

        void tick() {
            long now = System.nanoTime();
            for (int s = 0; s < streams.size(); s++) {
                QuicStreamChannel stream = streams.get(s);
                if (!options.mux()) {
                    stream.writeAndFlush(token(stream.alloc().buffer(TOKEN_BYTES), now));
                    continue;
                }
                List<Integer> sessions = sessionsOf.get(s);
                if (sessions.isEmpty()) {
                    continue;
                }
                ByteBuf batch = stream.alloc().buffer(sessions.size() * (INDEX_BYTES + TOKEN_BYTES));
                for (int i = 0; i < sessions.size(); i++) {
                    token(batch.writeInt(sessions.get(i)), now);
                }
                stream.writeAndFlush(batch);
            }
        }

        private ByteBuf token(ByteBuf out, long now) {
            out.writeLong(now).writeLong(++sequence);
            out.writeZero(TOKEN_BYTES - 16);
            return out;
        }
    }

    /** Pipes each worker stream's bytes to its client stream; in mux mode splits the link streams by index. */
    static final class Relay {
        private final Options options;
        private final List<QuicChannel> workerConnections = new ArrayList<>();
        private final List<QuicStreamChannel> linkStreams = new ArrayList<>();
        private QuicStreamChannel[] sessions;
        /** Client mux mode: each client connection's token stream (loop-confined to the relay's loop). */
        private final java.util.Map<QuicChannel, QuicStreamChannel> clientTokenStreams = new java.util.HashMap<>();
        private final java.util.concurrent.Semaphore clientTokenStreamsOpened = new java.util.concurrent.Semaphore(0);
        private int next;

        Relay(Options options) {
            this.options = options;
            this.sessions = new QuicStreamChannel[options.streams()];
        }

        void addWorkerConnection(QuicChannel connection) {
            workerConnections.add(connection);
        }

        /** Mux mode: one link stream per worker connection, opened and announced (index -1). */
        CountDownLatch openLinkStreams() throws Exception {
            CountDownLatch opened = new CountDownLatch(workerConnections.size());
            for (QuicChannel connection : workerConnections) {
                QuicStreamChannel link = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                        new ChannelInitializer<QuicStreamChannel>() {
                            @Override
                            protected void initChannel(QuicStreamChannel channel) {
                                channel.pipeline().addLast(new FixedLengthFrameDecoder(INDEX_BYTES + TOKEN_BYTES),
                                        new Demultiplexer());
                            }
                        }).get(20, TimeUnit.SECONDS);
                link.writeAndFlush(link.alloc().buffer(INDEX_BYTES).writeInt(-1)).sync();
                linkStreams.add(link);
                opened.countDown();
            }
            return opened;
        }

        ChannelHandler clientStreamHandler() {
            return new ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel client) {
                    client.pipeline().addLast(new FixedLengthFrameDecoder(INDEX_BYTES),
                            new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    int index = ((ByteBuf) msg).readInt();
                                    ReferenceCountUtil.release(msg);
                                    if (index < 0) { // client mux mode: this connection's token stream
                                        clientTokenStreams.put(client.parent(), client);
                                        clientTokenStreamsOpened.release();
                                        return;
                                    }
                                    open(client, index);
                                }
                            });
                }
            };
        }

        /** Client mux mode: waits until the relay has read the hello of {@code count} client token streams. */
        void awaitClientTokenStreams(int count) throws InterruptedException {
            if (!clientTokenStreamsOpened.tryAcquire(count, 20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the relay did not see " + count + " client token streams in 20 s");
            }
        }

        private void open(QuicStreamChannel client, int index) {
            QuicChannel connection = workerConnections.get(next++ % workerConnections.size());
            if (options.mux()) {
                sessions[index] = client;
                QuicStreamChannel link = linkStreams.get(index % linkStreams.size());
                link.writeAndFlush(link.alloc().buffer(INDEX_BYTES).writeInt(index));
                return;
            }
            ChannelInboundHandlerAdapter toClient = new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    forward(client, index, (ByteBuf) msg, false);
                }
            };
            connection.createStream(QuicStreamType.BIDIRECTIONAL, options.clientMux()
                    ? new ChannelInitializer<QuicStreamChannel>() { // whole tokens, to prefix each with its index
                        @Override
                        protected void initChannel(QuicStreamChannel stream) {
                            stream.pipeline().addLast(new FixedLengthFrameDecoder(TOKEN_BYTES), toClient);
                        }
                    } : toClient).addListener(created -> {
                if (created.isSuccess()) {
                    QuicStreamChannel stream = (QuicStreamChannel) created.getNow();
                    stream.writeAndFlush(stream.alloc().buffer(INDEX_BYTES).writeInt(index));
                }
            });
        }

        /**
         * Sends {@code token} to session {@code index} on {@code client}, its stream; in client mux mode on its client
         * connection's token stream instead, prefixed with the index ({@code indexed}: the index is in the buffer,
         * just before its reader index, as the mux worker leg delivers it).
         */
        private void forward(QuicStreamChannel client, int index, ByteBuf token, boolean indexed) {
            QuicStreamChannel target = client;
            ByteBuf out = token;
            if (options.clientMux()) {
                target = clientTokenStreams.getOrDefault(client.parent(), client);
                if (target != client) {
                    if (indexed) {
                        out = token.readerIndex(token.readerIndex() - INDEX_BYTES);
                    } else {
                        out = target.alloc().buffer(INDEX_BYTES + TOKEN_BYTES).writeInt(index).writeBytes(token);
                        token.release();
                    }
                }
            }
            if (options.coalesce()) {
                CoalescedSends.hold(target);
            }
            target.write(out);
        }

        /** Mux mode: each 44-byte record goes, without its index, to the session's client stream. */
        private final class Demultiplexer extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf record = (ByteBuf) msg;
                int index = record.readInt();
                QuicStreamChannel client = sessions[index];
                if (client == null) {
                    record.release();
                    return;
                }
                forward(client, index, record, true);
            }
        }
    }

    /** Counts tokens and their latency (worker's stamp to this read; one JVM, one clock). Loop-confined. */
    @ChannelHandler.Sharable
    static final class Client extends ChannelInboundHandlerAdapter {
        final AtomicLong tokens = new AtomicLong();
        private final EventLoopGroup loop;
        private Histogram latency = new Histogram(3_600_000_000_000L, 3);

        Client(EventLoopGroup loop) {
            this.loop = loop;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf token = (ByteBuf) msg;
            int stampAt = token.readerIndex() + (token.readableBytes() == INDEX_BYTES + TOKEN_BYTES ? INDEX_BYTES : 0);
            long stamp = token.getLong(stampAt);
            token.release();
            latency.recordValue(Math.max(0, System.nanoTime() - stamp));
            tokens.incrementAndGet();
        }

        /** Starts the latency histogram afresh (on the client's loop). */
        void resetLatency() throws Exception {
            loop.next().submit(latency::reset).get(5, TimeUnit.SECONDS);
        }

        /** A copy of the latency histogram since {@link #resetLatency}, taken on the client's loop. */
        Histogram latency() throws Exception {
            return loop.next().submit(latency::copy).get(5, TimeUnit.SECONDS);
        }
    }
}
