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
     * Binds {@code address} (port 0 picks a free port), which {@code setting} gave, or fails with a
     * {@link QuicEndpointException} naming the role, the address, the reason and the setting.
     */
    public static QuicServerEndpoint bind(String role, String setting, EventLoopGroup group, HostPort address,
                                          ChannelHandler serverCodec) {
        return bind(role, setting, group, address, serverCodec, null);
    }

    /**
     * As {@link #bind(String, String, EventLoopGroup, HostPort, ChannelHandler)}, counting datagrams in
     * {@code counter}.
     */
    public static QuicServerEndpoint bind(String role, String setting, EventLoopGroup group, HostPort address,
                                          ChannelHandler serverCodec, DatagramCounter counter) {
        BindTarget target = new BindTarget(role, setting, address);
        InetSocketAddress socketAddress = target.resolve();
        QuicTransport transport = QuicTransport.of(group);
        Channel channel = bindOne(target, transport.datagramBootstrap(group), socketAddress, serverCodec, counter);
        return new QuicServerEndpoint(List.of(channel));
    }

    /**
     * One socket per loop of {@code loops}, all bound to {@code address} (port 0: a free port, the same for all), each
     * with its own server codec from {@code codecs}: a connection lives on the loop of the socket its client's
     * datagrams reach. A port another socket holds fails, as {@link #bind} does, even one shared the same way.
     */
    public static QuicServerEndpoint bindShared(String role, String setting, List<EventLoop> loops, HostPort address,
                                                Supplier<ChannelHandler> codecs, DatagramCounter counter) {
        if (loops.isEmpty()) {
            throw new IllegalArgumentException("loops: none (expected: at least one)");
        }
        if (loops.size() == 1) {
            return bind(role, setting, loops.get(0), address, codecs.get(), counter);
        }
        BindTarget bindTarget = new BindTarget(role, setting, address);
        InetSocketAddress requested = bindTarget.resolve();
        if (requested.getPort() != 0) {
            // sockets that share a port join any other socket bound there with SO_REUSEPORT by the same user (another
            // director, say) and split its datagrams: a plain bind first fails as a single socket would
            bindOne(bindTarget, QuicTransport.of(loops.get(0)).datagramBootstrap(loops.get(0)), requested,
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
                Channel channel = bindOne(bindTarget, bootstrap, target, codecs.get(), counter);
                bound.add(channel);
                target = (InetSocketAddress) channel.localAddress(); // the port the first one got
            }
        } catch (QuicEndpointException e) {
            bound.forEach(Channel::close);
            throw e;
        }
        return new QuicServerEndpoint(bound);
    }

    private static Channel bindOne(BindTarget target, Bootstrap bootstrap, InetSocketAddress socketAddress,
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
            throw target.bindFailed(bound.cause());
        }
        return bound.channel();
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
