package io.connectionswap.testsupport.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A UDP DNS server on loopback whose names' A and AAAA records (and their TTL) a test changes at will: the IPv4
 * addresses of an answer are its A records, the IPv6 ones its AAAA records. A name it does not know (never answered,
 * or forgotten) gets NXDOMAIN: the resolver's lookup fails.
 */
public final class FakeDnsServer implements AutoCloseable {

    private final String name;
    private final Channel channel;
    private final AtomicInteger aQueries = new AtomicInteger();
    private final AtomicInteger aaaaQueries = new AtomicInteger();
    private final AtomicInteger queries = new AtomicInteger();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();

    /** A server that knows {@code name}, with no address until {@link #answer(long, List)}. */
    public FakeDnsServer(EventLoopGroup group, String name) throws InterruptedException {
        this.name = fqdn(name);
        this.answers.put(this.name, new Answer(1, List.of()));
        this.channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Answering());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** The A and AAAA records of the name given at construction. */
    public void answer(long ttl, List<InetAddress> addresses) {
        answer(name, ttl, addresses);
    }

    /** The A and AAAA records of {@code host}, known from now on. */
    public void answer(String host, long ttl, List<InetAddress> addresses) {
        answers.put(fqdn(host), new Answer(ttl, List.copyOf(addresses)));
    }

    /** {@code host} is unknown from now on: NXDOMAIN. */
    public void forget(String host) {
        answers.remove(fqdn(host));
    }

    /** A queries received so far. */
    public int aQueries() {
        return aQueries.get();
    }

    /** AAAA queries received so far (a resolver asks them where the machine has a global IPv6 address). */
    public int aaaaQueries() {
        return aaaaQueries.get();
    }

    /** Queries of any type received so far. */
    public int queries() {
        return queries.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static String fqdn(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower : lower + ".";
    }

    private record Answer(long ttlSeconds, List<InetAddress> addresses) {
    }

    private final class Answering extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            queries.incrementAndGet();
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, question);
            Answer answer = answers.get(fqdn(question.name()));
            if (answer == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else if (question.type() == DnsRecordType.A) {
                aQueries.incrementAndGet();
                addRecords(response, question, answer, Inet4Address.class);
            } else if (question.type() == DnsRecordType.AAAA) {
                aaaaQueries.incrementAndGet();
                addRecords(response, question, answer, Inet6Address.class);
            } // other types: NOERROR without records
            ctx.writeAndFlush(response);
        }

        private static void addRecords(DatagramDnsResponse response, DnsQuestion question, Answer answer,
                                       Class<? extends InetAddress> family) {
            for (InetAddress address : answer.addresses()) {
                if (family.isInstance(address)) {
                    response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(),
                            answer.ttlSeconds(), Unpooled.wrappedBuffer(address.getAddress())));
                }
            }
        }
    }
}
