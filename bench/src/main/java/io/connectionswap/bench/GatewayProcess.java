package io.connectionswap.bench;

import io.connectionswap.testsupport.net.Ports;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * client-service as the OpenAI-compatible gateway alone ({@code CONNECTION_SWAP_CLIENT_DEMO=false}), from its jar, on
 * the bench's director: every HTTP request becomes one stream of its single QUIC connection. Its per-token log
 * line is silenced (as the worker's is), the per-request line stays.
 */
final class GatewayProcess {

    private GatewayProcess() {
    }

    static ChildProcess start(Cluster cluster) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTION_SWAP_CLIENT_DEMO", "false");
        env.put("CONNECTION_SWAP_DIRECTOR_TARGET", "127.0.0.1:" + cluster.directorPort());
        env.put("CONNECTION_SWAP_CERTS_DIR", cluster.certs().toString());
        env.put("LOGGING_LEVEL_IO_CONNECTIONSWAP_CLIENT_TOKENS", "WARN");
        ChildProcess gateway = new ChildProcess("gateway", cluster.jar("client-service"), jvmOptions(), env,
                Ports.freeTcpPort(), cluster.logs().resolve("gateway.log")).start();
        cluster.await("gateway ready", Duration.ofSeconds(120), gateway::ready);
        Console.say("gateway pid=%d http=%d up after %.1f s", gateway.pid(), gateway.httpPort(), Console.elapsedSeconds());
        return gateway;
    }

    /** {@code BENCH_GATEWAY_JAVA_OPTS}, default {@code -Xms256m -Xmx1g} (as the director). */
    static List<String> jvmOptions() {
        String value = System.getenv("BENCH_GATEWAY_JAVA_OPTS");
        return List.of((value == null || value.isBlank() ? "-Xms256m -Xmx1g" : value.trim()).split("\\s+"));
    }

    /** {@code http://127.0.0.1:<port>/v1}. */
    static String baseUrl(ChildProcess gateway) {
        return "http://127.0.0.1:" + gateway.httpPort() + "/v1";
    }
}
