package io.connectionswap.protocol.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import java.net.StandardSocketOptions;
import java.util.Locale;

/**
 * The UDP transport under QUIC: Java NIO, or Linux epoll through Netty's native transport. Epoll reads up to
 * {@link #DATAGRAMS_PER_READ} datagrams in one {@code recvmmsg} call, writes a flush's datagrams with one
 * {@code sendmmsg}, and, with UDP GSO ({@link #GSO_SEGMENTS}), hands the kernel a connection's equally sized QUIC
 * packets as one segmented datagram. An event loop group is made for one transport ({@link QuicEventLoops}); the
 * sockets opened on it take the same one ({@link #of(EventLoopGroup)}).
 */
public enum QuicTransport {
    NIO, EPOLL;

    /** Largest datagram a socket reads with {@code recvmmsg}; QUIC's own limit is told to peers as this too. */
    public static final int MAX_DATAGRAM_BYTES = 2048;

    /** Datagrams read in one {@code recvmmsg} call. */
    public static final int DATAGRAMS_PER_READ = 32;

    /** Most QUIC packets of one connection sent as one GSO datagram (Netty allows 1 to 64). */
    public static final int GSO_SEGMENTS = 16;

    /**
     * Parses a setting: {@code auto} (epoll where Netty's native epoll loads, else nio), {@code epoll} (fails where it
     * does not load, naming why) or {@code nio}.
     */
    public static QuicTransport fromSetting(String setting, String value) {
        String normalized = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        switch (normalized) {
            case "", "auto":
                return Epoll.isAvailable() ? EPOLL : NIO;
            case "nio":
                return NIO;
            case "epoll":
                if (!Epoll.isAvailable()) {
                    throw new IllegalArgumentException(setting + "=epoll but Netty's native epoll transport does not "
                            + "load here: " + Epoll.unavailabilityCause() + " (use auto or nio)");
                }
                return EPOLL;
            default:
                throw new IllegalArgumentException(setting + "=" + value + " (expected: auto, epoll or nio)");
        }
    }

    /** The transport of the loops of {@code group}: see {@link #supports} for a group that has none. */
    public static QuicTransport of(EventLoopGroup group) {
        return Epoll.isAvailable() && EPOLL.runsOn(group) ? EPOLL : NIO;
    }

    /**
     * Whether the sockets of {@link #of}{@code (group)} can register on {@code group}: a NIO I/O group, or an epoll one
     * where Netty's native epoll loads, or a group whose loops are such (reactor-netty's). Not a group of another kind
     * (a {@code DefaultEventLoopGroup}, which does no I/O, KQueue, io_uring): {@link #of} takes it for NIO, and every
     * socket would fail to register on it ("incompatible event loop type").
     */
    public static boolean supports(EventLoopGroup group) {
        return of(group).runsOn(group);
    }

    /**
     * Whether the loops of {@code group} run this transport's I/O. A group that only hands out loops of another
     * (reactor-netty's colocated client loops, {@code LoopResources.onClient}) is judged by the loop it hands out.
     */
    private boolean runsOn(EventLoopGroup group) {
        EventLoopGroup loops = group instanceof IoEventLoopGroup ? group : group.next();
        return loops instanceof IoEventLoopGroup io
                && io.isIoType(this == EPOLL ? EpollIoHandler.class : NioIoHandler.class);
    }

    IoHandlerFactory ioHandlerFactory(boolean busyPoll) {
        if (busyPoll) {
            if (this != EPOLL) {
                throw new IllegalArgumentException("busy polling needs the epoll transport, not " + this);
            }
            // 0: Netty's default number of events per epoll call
            return EpollIoHandler.newFactory(0, () -> (selectSupplier, hasTasks) -> SelectStrategy.BUSY_WAIT);
        }
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** A bootstrap of UDP sockets of this transport on {@code group}, with the socket buffers and batched reads. */
    Bootstrap datagramBootstrap(EventLoopGroup group) {
        Bootstrap bootstrap = new Bootstrap().group(group).channel(datagramChannel())
                .option(ChannelOption.SO_RCVBUF, QuicSettings.SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, QuicSettings.SOCKET_BUFFER_BYTES);
        if (this == EPOLL) {
            bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM_BYTES)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(MAX_DATAGRAM_BYTES * DATAGRAMS_PER_READ));
        }
        return bootstrap;
    }

    /**
     * Lets several sockets bind the same UDP address (SO_REUSEPORT): the kernel spreads the peers over them by their
     * address and port, so one peer's datagrams always reach the same socket while the set of sockets is unchanged.
     */
    Bootstrap sharedPort(Bootstrap bootstrap) {
        return this == EPOLL ? bootstrap.option(EpollChannelOption.SO_REUSEPORT, true)
                : bootstrap.option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
    }

    /** UDP sockets of this transport (the QUIC sockets, the DNS resolver's). */
    public Class<? extends DatagramChannel> datagramChannel() {
        return this == EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /** TCP sockets of this transport (the DNS resolver's, for answers too big for UDP). */
    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * The GSO allocator for QUIC connections on this transport: {@link SegmentedDatagramPacketAllocator#NONE} for nio,
     * when {@code gso} is off, or where the kernel lacks UDP_SEGMENT.
     */
    public SegmentedDatagramPacketAllocator segments(boolean gso) {
        return this == EPOLL && gso ? EpollQuicUtils.newSegmentedAllocator(GSO_SEGMENTS)
                : SegmentedDatagramPacketAllocator.NONE;
    }

    /** Whether {@link #segments(boolean)} sends GSO datagrams here. */
    public boolean gsoAvailable(boolean gso) {
        return segments(gso).maxNumSegments() > 0;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
