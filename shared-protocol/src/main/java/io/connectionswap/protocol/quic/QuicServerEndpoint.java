package io.connectionswap.protocol.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Bound UDP sockets carrying a QUIC server codec, of the transport of their event loops: one socket, or one per
 * event loop on the same port (SO_REUSEPORT; the kernel keeps each peer's datagrams on one socket).
 */
public final class QuicServerEndpoint {

    private final List<Channel> channels;

    private QuicServerEndpoint(List<Channel> channels) {
        this.channels = List.copyOf(channels);
    }

    /**
     * Binds {@code address} (port 0 picks a free port) or fails with a message naming the role and address.
     */
    public static QuicServerEndpoint bind(String role, EventLoopGroup group, HostPort address, ChannelHandler serverCodec) {
        return bind(role, group, address, serverCodec, null);
    }

    /** As {@link #bind(String, EventLoopGroup, HostPort, ChannelHandler)}, counting datagrams in {@code counter}. */
    public static QuicServerEndpoint bind(String role, EventLoopGroup group, HostPort address, ChannelHandler serverCodec,
                                          DatagramCounter counter) {
        InetSocketAddress socketAddress = resolve(role, address);
        QuicTransport transport = QuicTransport.of(group);
        Channel channel = bindOne(role, address, transport.datagramBootstrap(group), socketAddress, serverCodec, counter);
        return new QuicServerEndpoint(List.of(channel));
    }

    /**
     * One socket per loop of {@code loops}, all bound to {@code address} (port 0: a free port, the same for all), each
     * with its own server codec from {@code codecs}: a connection lives on the loop of the socket its client's
     * datagrams reach. A port another socket holds fails, as {@link #bind} does, even one shared the same way.
     */
    public static QuicServerEndpoint bindShared(String role, List<EventLoop> loops, HostPort address,
                                                Supplier<ChannelHandler> codecs, DatagramCounter counter) {
        if (loops.isEmpty()) {
            throw new IllegalArgumentException("loops: none (expected: at least one)");
        }
        if (loops.size() == 1) {
            return bind(role, loops.get(0), address, codecs.get(), counter);
        }
        InetSocketAddress requested = resolve(role, address);
        if (requested.getPort() != 0) {
            // sockets that share a port join any other socket bound there with SO_REUSEPORT by the same user (another
            // director, say) and split its datagrams: a plain bind first fails as a single socket would
            bindOne(role, address, QuicTransport.of(loops.get(0)).datagramBootstrap(loops.get(0)), requested,
                    new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                        }
                    }, null).close().awaitUninterruptibly();
        }
        List<Channel> bound = new ArrayList<>(loops.size());
        InetSocketAddress target = requested;
        try {
            for (EventLoop loop : loops) {
                QuicTransport transport = QuicTransport.of(loop);
                Bootstrap bootstrap = transport.sharedPort(transport.datagramBootstrap(loop));
                Channel channel = bindOne(role, address, bootstrap, target, codecs.get(), counter);
                bound.add(channel);
                target = (InetSocketAddress) channel.localAddress(); // the port the first one got
            }
        } catch (QuicEndpointException e) {
            bound.forEach(Channel::close);
            throw e;
        }
        return new QuicServerEndpoint(bound);
    }

    private static InetSocketAddress resolve(String role, HostPort address) {
        try {
            return address.resolve();
        } catch (IllegalArgumentException e) {
            throw new QuicEndpointException(role + " cannot bind QUIC server to udp/" + address + ": " + e.getMessage(), e);
        }
    }

    private static Channel bindOne(String role, HostPort address, Bootstrap bootstrap, InetSocketAddress socketAddress,
                                   ChannelHandler serverCodec, DatagramCounter counter) {
        ChannelFuture bound = bootstrap
                .handler(counter == null ? serverCodec : new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(counter, serverCodec);
                    }
                })
                .bind(socketAddress)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new QuicEndpointException(role + " cannot bind QUIC server to udp/" + address + ": "
                    + describe(cause) + " (is another process using this port?)", cause);
        }
        return bound.channel();
    }

    /** The bind failure in the words Java's NIO uses, on epoll too ("bind(..) failed with error(-98): ..." there). */
    private static String describe(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        if (cause instanceof io.netty.channel.unix.Errors.NativeIoException
                && message.contains("Address already in use")) {
            return "BindException: Address already in use";
        }
        return cause.getClass().getSimpleName() + ": " + message;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channels.get(0).localAddress();
    }

    /** Sockets bound: one, or one per loop. */
    public int sockets() {
        return channels.size();
    }

    /** Closes every socket; completes when all are closed. */
    public Future<Void> close() {
        Promise<Void> closed = ImmediateEventExecutor.INSTANCE.newPromise();
        AtomicInteger open = new AtomicInteger(channels.size());
        for (Channel channel : channels) {
            channel.close().addListener(done -> {
                if (open.decrementAndGet() == 0) {
                    closed.trySuccess(null);
                }
            });
        }
        return closed;
    }
}
