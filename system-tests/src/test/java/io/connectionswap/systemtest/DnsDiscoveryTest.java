package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.client.stream.GenerationResult;
import io.connectionswap.director.registry.AddressResolver;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.director.registry.WorkerState;
import io.connectionswap.systemtest.support.InJvmCluster;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Discovery through DNS: the resolver returns three worker addresses (127.0.0.1, .2 and .3 on the same port, as a
 * headless Service gives pod IPs); two run a worker, the third has none. The director polls and dials all three,
 * uses the two that answer, keeps the third out of rotation, and a client's generations are served.
 */
class DnsDiscoveryTest {

    private static final List<String> HOSTS = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");

    @Test
    void everyAddressBehindTheNameIsAWorkerAndTheFailingOneIsKeptOut() throws Exception {
        int quicPort = freeOnAll(true);
        int httpPort = freeOnAll(false);
        List<InetAddress> behindTheName = List.of(InetAddress.getByName(HOSTS.get(0)),
                InetAddress.getByName(HOSTS.get(1)), InetAddress.getByName(HOSTS.get(2)));
        AddressResolver resolver = host -> {
            assertThat(host).isEqualTo("workers.test");
            return CompletableFuture.completedFuture(behindTheName);
        };
        try (InJvmCluster cluster = new InJvmCluster("20ms")) {
            cluster.startDirector(context -> context.getBeanFactory().registerSingleton("testResolver", resolver),
                    "--CONNECTION_SWAP_DISCOVERY_DNS=workers.test:" + quicPort,
                    "--CONNECTION_SWAP_DISCOVERY_INTERVAL=200ms",
                    "--CONNECTION_SWAP_DISCOVERY_HEALTH_PORT=" + httpPort,
                    "--CONNECTION_SWAP_WORKER_TLS_NAME=worker");
            for (String host : HOSTS.subList(0, 2)) {
                ConfigurableApplicationContext worker = cluster.startWorker("worker-" + host, 0,
                        "--CONNECTION_SWAP_WORKER_ADDR=" + host + ":" + quicPort,
                        "--CONNECTION_SWAP_WORKER_REGISTER=false",
                        "--server.address=" + host,
                        "--server.port=" + httpPort);
                assertThat(worker.isActive()).isTrue();
            }
            WorkerRegistry registry = cluster.registry();
            await().atMost(Duration.ofSeconds(60)).until(() -> registry.healthyCount() == 2);
            assertThat(registry.workers()).hasSize(3);
            WorkerEndpoint missing = registry.workers().stream()
                    .filter(worker -> worker.address().host().equals("127.0.0.3")).findFirst().orElseThrow();
            assertThat(missing.eligible()).isFalse();
            assertThat(missing.state()).isIn(WorkerState.PENDING, WorkerState.UNHEALTHY);
            await().atMost(Duration.ofSeconds(10)).until(() -> missing.lastPollResult() != null);
            assertThat(missing.lastPollResult()).contains("refused");

            InJvmCluster.Recorder client = cluster.startClient("10", "--CONNECTION_SWAP_CLIENT_CONCURRENCY=2");
            await().atMost(Duration.ofSeconds(60)).until(() -> client.completed.size() >= 4);
            for (GenerationResult result : client.completed) {
                assertThat(result.sequenceErrors()).isZero();
                assertThat(result.workers()).isNotEmpty().isSubsetOf("worker-127.0.0.1", "worker-127.0.0.2");
            }
        }
    }

    /** A port free on every test host, for UDP (QUIC) or TCP (HTTP). */
    private static int freeOnAll(boolean udp) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName(HOSTS.get(0)))) {
                port = probe.getLocalPort();
            }
            if (freeEverywhere(port, udp)) {
                return port;
            }
        }
        throw new IllegalStateException("no port free on " + HOSTS);
    }

    private static boolean freeEverywhere(int port, boolean udp) {
        for (String host : HOSTS) {
            try {
                if (udp) {
                    new DatagramSocket(new InetSocketAddress(host, port)).close();
                } else {
                    new ServerSocket(port, 1, InetAddress.getByName(host)).close();
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

}
