package io.connectionswap.swapclient.internal;

import io.connectionswap.protocol.quic.CloseOnPeerClose;
import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicConnector;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dials one director address for {@link DirectorLink}: looks its name up off the loop, then connects (QUIC, TLS for
 * the name the director's certificate must carry), and tells the {@link Attempt} on the loop how it went, a failure
 * with its problem text (the address, the cause chain, and why when the failure does not say).
 */
final class DirectorDialer {

    /**
     * Where director names are looked up: a lookup blocks. One daemon thread, shared by the clients of a JVM, that
     * exists only while lookups run and 30 s after (a connect looks up once; an IP address is not looked up).
     */
    private static final Executor LOOKUPS = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), runnable -> {
                Thread thread = new Thread(runnable, "swap-client-lookup");
                thread.setDaemon(true);
                return thread;
            });

    /** How one attempt goes, told on the loop: one of {@link #dropped}, {@link #failed} or {@link #connected}. */
    interface Attempt {
        /** Whether the attempt is still wanted once the name is looked up (the link may have stopped meanwhile). */
        boolean wanted();

        /** Not wanted any more once the name was looked up: nothing was dialled. */
        void dropped();

        /** The name did not resolve, or the connection did not come up: {@code problem} says why. */
        void failed(String problem);

        /**
         * The connection is up; {@code peerClose} holds the director's close reason, once it closes it; every stream
         * on it opens through {@code streams}.
         */
        void connected(QuicChannel channel, PeerClose peerClose, StreamOpener streams);
    }

    private final EventLoop loop;
    private final QuicConnector connector;
    private final DirectorLinkSettings settings;
    /** Streams waiting for a director's stream limit, on every connection dialled ({@link StreamOpener}). */
    private final AtomicInteger streamsWaiting;

    DirectorDialer(EventLoop loop, QuicConnector connector, DirectorLinkSettings settings,
                   AtomicInteger streamsWaiting) {
        this.loop = loop;
        this.connector = connector;
        this.settings = settings;
        this.streamsWaiting = streamsWaiting;
    }

    void dial(HostPort director, Attempt attempt) {
        // a name lookup blocks: off the loop, which carries every generation and heartbeat; an IP address needs none
        // (and starts no lookup thread)
        CompletableFuture<InetSocketAddress> lookup = NetUtil.isValidIpV4Address(director.host())
                || NetUtil.isValidIpV6Address(director.host())
                ? CompletableFuture.completedFuture(director.resolve())
                : CompletableFuture.supplyAsync(director::resolve, LOOKUPS);
        lookup.whenComplete((remote, failure) -> loop.execute(() -> {
            if (!attempt.wanted()) {
                attempt.dropped();
            } else if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                attempt.failed("cannot resolve director " + director + ": " + cause.getMessage());
            } else {
                connect(director, remote, attempt);
            }
        }));
    }

    private void connect(HostPort director, InetSocketAddress remote, Attempt attempt) {
        String tlsName = settings.tlsName(director);
        PeerClose peerClose = new PeerClose();
        StreamOpener streams = new StreamOpener(director, streamsWaiting);
        // the stream opener from the start: the director's first credit comes with the handshake's last packets
        ChannelInitializer<QuicChannel> handlers = new ChannelInitializer<>() {
            @Override
            protected void initChannel(QuicChannel channel) {
                addConnectionHandlers(channel.pipeline(), peerClose, streams);
            }
        };
        connector.connect(remote, tlsName, handlers, null).addListener(done -> {
            if (!done.isSuccess()) {
                attempt.failed("cannot connect to director " + director + " (tls.name=" + tlsName + "): "
                        + describe(done.cause()) + hint(done.cause(), peerClose));
                return;
            }
            attempt.connected((QuicChannel) done.getNow(), peerClose, streams);
        });
    }

    /**
     * A director connection's handlers: the director's close closes the client's side as it is read, after {@code
     * peerClose} kept its reason and {@code streams} saw it.
     */
    static void addConnectionHandlers(ChannelPipeline pipeline, PeerClose peerClose, ChannelHandler streams) {
        pipeline.addLast(CloseOnPeerClose.INSTANCE, peerClose, streams);
    }

    /** Why dialling failed, when the failure does not say: the director's close reason, or no handshake at all. */
    private static String hint(Throwable cause, PeerClose peerClose) {
        if (peerClose.reason() != null) {
            return " (closed by the director: " + peerClose.reason() + ")";
        }
        return QuicConnector.explainFailure(cause, "director");
    }

    private static String describe(Throwable cause) {
        StringBuilder text = new StringBuilder(cause.toString());
        Throwable inner = cause.getCause();
        while (inner != null && inner != cause) {
            text.append("; caused by ").append(inner);
            cause = inner;
            inner = inner.getCause();
        }
        return text.toString();
    }
}
