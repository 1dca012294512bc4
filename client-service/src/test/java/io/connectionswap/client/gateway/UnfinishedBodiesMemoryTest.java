package io.connectionswap.client.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.server.context.ServerPortInfoApplicationContextInitializer;
import org.springframework.boot.web.server.reactive.context.AnnotationConfigReactiveWebServerApplicationContext;
import org.springframework.boot.webflux.autoconfigure.HttpHandlerAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;

/**
 * Every request body is held whole in memory until it has all arrived (CompletionsHandler joins it before parsing),
 * in Netty's direct buffers, and nothing bounds the sum over connections: only each body (CONNECTION_SWAP_MAX_REQUEST_BYTES,
 * 4 MiB) and the connections (CONNECTION_SWAP_GATEWAY_MAX_CONNECTIONS, 10 000). A few clients that send a large body
 * but its last byte late (a slow uplink, or on purpose, up to CONNECTION_SWAP_GATEWAY_REQUEST_TIMEOUT, 60 s, and again)
 * fill the image's whole direct memory (-XX:MaxDirectMemorySize=64m, docker/README.md): from then on every buffer
 * allocation fails, the QUIC connection to the director's included, for every user of the gateway.
 */
class UnfinishedBodiesMemoryTest {

    private static final int CONNECTIONS = 16;
    private static final int MAX_REQUEST_BYTES = (int) GatewayOnSpringsRouter.PROPERTIES.maxRequestSize().toBytes();
    private static final long MIB = 1024 * 1024;
    /**
     * What unfinished bodies may hold of direct memory at once, whatever their number: the gateway reads each body into
     * the heap as it arrives (under its budget of request bytes, CONNECTION_SWAP_GATEWAY_MAX_BUFFERED_REQUEST_BYTES), so
     * direct memory holds only the buffers being read and the allocator's chunks (about 4 MiB measured); a gateway that
     * holds the bodies there held 67 to 79 MiB.
     */
    private static final long BOUND = 16 * MIB;

    private final ReactiveWebApplicationContextRunner runner =
            new ReactiveWebApplicationContextRunner(AnnotationConfigReactiveWebServerApplicationContext::new)
                    .withConfiguration(AutoConfigurations.of(NettyReactiveWebServerAutoConfiguration.class,
                            HttpHandlerAutoConfiguration.class, WebFluxAutoConfiguration.class))
                    .withUserConfiguration(Http10AnswersTest.Gateway.class)
                    .withInitializer(new ServerPortInfoApplicationContextInitializer())
                    .withPropertyValues("server.port=0");

    @Test
    void theBodiesOfManyUnfinishedRequestsAreNotAllHeldInMemoryAtOnce() {
        runner.run(context -> {
            int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            byte[] head = ("POST /v1/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + MAX_REQUEST_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] allButTheLastByte = new byte[MAX_REQUEST_BYTES - 1]; // a valid size, not over the limit
            Arrays.fill(allButTheLastByte, (byte) 'a');
            byte[] start = "{\"model\":\"stand-in\",\"prompt\":\"".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(start, 0, allButTheLastByte, 0, start.length);
            long before = directMemoryUsed();
            List<Socket> sockets = new ArrayList<>();
            ExecutorService writers = Executors.newFixedThreadPool(CONNECTIONS);
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket socket = new Socket("127.0.0.1", port);
                    sockets.add(socket);
                    writers.execute(() -> {
                        try {
                            socket.getOutputStream().write(head);
                            socket.getOutputStream().write(allButTheLastByte); // may block while the gateway waits
                        } catch (IOException closedAtTheEnd) {
                            // the test closes the socket
                        }
                    });
                }
                try {
                    // until every body is held (the gateway as it is), or for 10 s (one that bounds them)
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> directMemoryUsed() - before >= (long) CONNECTIONS * MAX_REQUEST_BYTES);
                } catch (ConditionTimeoutException heldWithinTheBound) {
                    // what a bounded gateway does: the assertion below passes
                }
                long held = directMemoryUsed() - before;

                assertThat(held).as("direct memory the gateway holds for %d connections whose %d MiB request bodies "
                                + "lack their last byte: %d MiB (expected: at most %d MiB, a bound over all connections; "
                                + "the image's whole -XX:MaxDirectMemorySize is 64 MiB)", CONNECTIONS,
                                MAX_REQUEST_BYTES / MIB, held / MIB, BOUND / MIB)
                        .isLessThanOrEqualTo(BOUND);
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
                writers.shutdownNow();
            }
        });
    }

    /** Direct buffer memory in use: Netty's own count, or the JDK's when Netty allocates through it. */
    private static long directMemoryUsed() {
        long jdk = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return Math.max(jdk, PlatformDependent.usedDirectMemory());
    }
}
