package io.connectionswap.client.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.connectionswap.protocol.quic.QuicTransport;
import io.connectionswap.swapclient.SwapClient;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.netty.resources.LoopResources;

/**
 * An application (the gateway among them: {@code GatewayHttpLoops}) that runs the client on reactor-netty's loops:
 * {@code LoopResources.onClient(..)} is a colocated group (reactor-netty's {@code ColocatedEventLoopGroup}), a plain
 * {@code EventLoopGroup} over its NIO (or epoll) I/O loops. The client runs on {@code group.next()}, an I/O loop that
 * carries the QUIC connection, and did so before 91763a5; since 91763a5 the builder checks the group itself, which is
 * no {@code IoEventLoopGroup}, and refuses it with "cannot carry the QUIC connection's UDP socket".
 */
class SwapClientOnReactorNettyLoopsTest {

    @Test
    void reactorNettysClientLoopsAreTaken() {
        LoopResources loops = LoopResources.create("test-app-http", 1, true);
        try {
            EventLoopGroup clientLoops = loops.onClient(false); // NIO, colocated: reactor-netty's default
            assertThat(QuicTransport.supports(clientLoops.next()))
                    .as("the loop the client would run on (group.next()) carries the QUIC connection").isTrue();

            Throwable refused = catchThrowable(() -> SwapClient.builder().eventLoopGroup(clientLoops));

            assertThat(refused).as("reactor-netty's client loops (%s), whose next() is a NIO I/O loop, taken by "
                    + "SwapClient.Builder.eventLoopGroup", clientLoops.getClass().getName()).isNull();
        } finally {
            loops.disposeLater().block(Duration.ofSeconds(5));
        }
    }
}
