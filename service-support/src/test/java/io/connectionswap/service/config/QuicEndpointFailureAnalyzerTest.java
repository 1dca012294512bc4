package io.connectionswap.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.connectionswap.protocol.quic.HostPort;
import io.connectionswap.protocol.quic.QuicEndpointException;
import io.connectionswap.protocol.quic.QuicEndpointException.Reason;
import io.connectionswap.protocol.quic.QuicServerEndpoint;
import io.connectionswap.protocol.quic.QuicTransport;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * A QUIC server that cannot bind says why and which setting to change, from real bind failures on nio and on the
 * default transport (epoll here), whose errors are worded by different layers.
 */
class QuicEndpointFailureAnalyzerTest {

    private static final String SETTING = "CONNECTION_SWAP_DIRECTOR_ADDR";

    private EventLoopGroup group = QuicEventLoops.create("test-analyzer", 1, QuicTransport.NIO);

    @AfterEach
    void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private void on(String transport) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        group = QuicEventLoops.create("test-analyzer", 1, QuicTransport.fromSetting("test", transport));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "auto"})
    void aTakenPortNamesThePortTheCommandThatFindsItsHolderAndTheSetting(String transport) {
        on(transport);
        QuicServerEndpoint holder = bind("127.0.0.1:0");
        try {
            int port = holder.localAddress().getPort();
            QuicEndpointException failure = bindFailure("127.0.0.1:" + port);
            assertThat(failure.reason()).isEqualTo(Reason.ADDRESS_IN_USE);

            FailureAnalysis analysis = analyze(failure);
            assertThat(analysis.getDescription()).isEqualTo("director cannot bind QUIC server to udp/127.0.0.1:" + port
                    + ": BindException: Address already in use (is another process using this port?).");
            assertThat(analysis.getAction())
                    .startsWith("Another socket holds udp port " + port + " on 127.0.0.1")
                    .contains("ss -ulpn 'sport = :" + port + "'")
                    .endsWith("Stop it, or set " + SETTING + " to a free port.");
        } finally {
            holder.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "auto"})
    void anAddressOfAnotherHostIsNamedAsSuch(String transport) {
        on(transport);
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this host
        QuicEndpointException failure = bindFailure("192.0.2.1:0");
        assertThat(failure.reason()).isEqualTo(Reason.ADDRESS_NOT_LOCAL);
        assertThat(analyze(failure).getAction()).isEqualTo("192.0.2.1 is not an address of this host. Set " + SETTING
                + " to one of its addresses: 127.0.0.1 for loopback only, 0.0.0.0 for every interface.");
    }

    @Test
    void aHostThatDoesNotResolveIsNamed() {
        // .invalid never resolves (RFC 2606)
        QuicEndpointException failure = bindFailure("no-such-director.invalid:61000");
        assertThat(failure.reason()).isEqualTo(Reason.HOST_UNRESOLVED);
        FailureAnalysis analysis = analyze(failure);
        assertThat(analysis.getDescription()).isEqualTo("director cannot bind QUIC server to "
                + "udp/no-such-director.invalid:61000: cannot resolve host no-such-director.invalid.");
        assertThat(analysis.getAction()).startsWith("The host no-such-director.invalid does not resolve here. Set "
                + SETTING + " to an IP address of this host");
    }

    @Test
    void everyRoleGetsItThroughSpringFactories() {
        // Boot's own analyzers take constructor arguments Boot supplies: skipped here
        SpringFactoriesLoader.FailureHandler skipOthers = (type, name, failure) -> { };
        assertThat(SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
                .load(FailureAnalyzer.class, null, skipOthers))
                .hasAtLeastOneElementOfType(QuicEndpointFailureAnalyzer.class)
                .hasAtLeastOneElementOfType(TlsConfigurationFailureAnalyzer.class);
    }

    private QuicServerEndpoint bind(String address) {
        return QuicServerEndpoint.bind("director", SETTING, group, HostPort.parse(SETTING, address),
                new ChannelInboundHandlerAdapter());
    }

    private QuicEndpointException bindFailure(String address) {
        return catchThrowableOfType(QuicEndpointException.class, () -> bind(address));
    }

    /** As Boot sees it: the exception wrapped by the lifecycle that started the server. */
    private static FailureAnalysis analyze(QuicEndpointException failure) {
        FailureAnalysis analysis = new QuicEndpointFailureAnalyzer()
                .analyze(new IllegalStateException("Failed to start bean 'directorQuicServer'", failure));
        assertThat(analysis).as("the analyzer finds the cause inside the wrapper").isNotNull();
        return analysis;
    }
}
