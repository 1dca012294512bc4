package io.connectionswap.protocol.quic;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;

/** A bound UDP socket carrying a QUIC server codec, of the transport of its event loop group. */
public final class QuicServerEndpoint {

    private final Channel channel;

    private QuicServerEndpoint(Channel channel) {
        this.channel = channel;
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
        InetSocketAddress socketAddress;
        try {
            socketAddress = address.resolve();
        } catch (IllegalArgumentException e) {
            throw new QuicEndpointException(role + " cannot bind QUIC server to udp/" + address + ": " + e.getMessage(), e);
        }
        ChannelFuture bound = QuicTransport.of(group).datagramBootstrap(group)
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
        return new QuicServerEndpoint(bound.channel());
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
        return (InetSocketAddress) channel.localAddress();
    }

    public ChannelFuture close() {
        return channel.close();
    }
}
