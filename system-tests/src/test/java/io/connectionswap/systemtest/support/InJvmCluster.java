package io.connectionswap.systemtest.support;

import static org.awaitility.Awaitility.await;

import io.connectionswap.client.ClientApplication;
import io.connectionswap.client.stream.GenerationListener;
import io.connectionswap.client.stream.GenerationResult;
import io.connectionswap.director.DirectorApplication;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.registry.WorkerRegistry;
import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.connectionswap.worker.WorkerApplication;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Director, workers and client as Spring applications in this JVM, on free ports (QUIC port 0, published as
 * {@code local.quic.port}). Settings are passed the way users pass them: as the environment variable names,
 * here as command-line properties so they win over everything else.
 */
public final class InJvmCluster implements AutoCloseable {

    /**
     * How soon the director calls a worker failed, set for a JVM whose roles share two cores with each other and, in a
     * full build, with another build: no in-JVM test measures how fast a failure is found, so a worker slow to answer
     * is not taken out. Health polls every second, each with the default 80% of it to answer: at 100 ms (an 80 ms
     * timeout) two slow answers in a row took a healthy worker out with its streams under load (RETRY reason=health,
     * "health poll timeout (2 in a row)"). A stall minimum of 2 s: at 300 ms a stream or a whole worker the loaded JVM
     * had not run for a moment was moved (RETRY reason=stall, "no frame for more than 300 ms", "no heartbeat echo and
     * no frame for more than 300 ms: the worker hangs"). A link heartbeat timeout of 5 s: at 1 s a link whose echo
     * came late was lost and every stream on it moved (RETRY reason=connection_lost, "worker stream closed before END"
     * after "no heartbeat echo for PT1.1S"). A test that measures detection passes its own values, which win.
     */
    private static final String[] PATIENT_FAILURE_DETECTION = {
        "--CONNECTION_SWAP_HEALTH_INTERVAL=1s", "--CONNECTION_SWAP_STALL_MINIMUM=2s",
        "--connection-swap.director.link-heartbeat-timeout=5s"};

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private final List<RawQuicClient> rawClients = new ArrayList<>();
    private final String tokenInterval;
    private ConfigurableApplicationContext director;

    public InJvmCluster(String tokenInterval) {
        this.tokenInterval = tokenInterval;
        RepositoryPki.certs(); // the roles read this clone's development PKI unless a test passes CONNECTION_SWAP_CERTS_DIR
    }

    public ConfigurableApplicationContext startDirector(String... extra) {
        return startDirector(null, extra);
    }

    /** Starts the director; {@code initializer} may register beans (e.g. a test DNS resolver) before refresh. */
    public ConfigurableApplicationContext startDirector(
            org.springframework.context.ApplicationContextInitializer<ConfigurableApplicationContext> initializer,
            String... extra) {
        director = start(DirectorApplication.class, null, initializer, concat(extra,
                concat(PATIENT_FAILURE_DETECTION, "--CONNECTION_SWAP_DIRECTOR_ADDR=127.0.0.1:0")));
        return director;
    }

    /** The director's context (null before {@link #startDirector}). */
    public ConfigurableApplicationContext director() {
        return director;
    }

    public int directorPort() {
        return director.getEnvironment().getRequiredProperty("local.quic.port", Integer.class);
    }

    public WorkerRegistry registry() {
        return director.getBean(WorkerRegistry.class);
    }

    /** Waits until at least one worker is registered and every registered one is eligible for new streams. */
    public void awaitEligibleWorkers(Duration deadline) {
        await("eligible workers").atMost(deadline).until(() -> !registry().workers().isEmpty()
                && registry().workers().stream().allMatch(WorkerEndpoint::eligible));
    }

    /** A client library builder aimed at this cluster's director, with the repository's client certificate. */
    public SwapClient.Builder clientBuilder() {
        return SwapClient.builder().directors("127.0.0.1:" + directorPort()).certificates(null);
    }

    /** A new connection to the director with the client certificate, closed with this cluster. */
    public RawQuicClient rawClient() throws Exception {
        RawQuicClient client = new RawQuicClient(RawQuicClient.tls(TlsIdentity.of(CertificateDirectory.locate(null),
                "client")), directorPort());
        rawClients.add(client);
        return client;
    }

    public ConfigurableApplicationContext startWorker(String label, int port, String... extra) {
        return start(WorkerApplication.class, null, concat(extra,
                "--CONNECTION_SWAP_WORKER_ADDR=127.0.0.1:" + port,
                "--CONNECTION_SWAP_WORKER_LABEL=" + label,
                "--CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:" + directorPort()));
    }

    /** Starts a worker; {@code initializer} may register beans (e.g. a test span exporter) before refresh. */
    public ConfigurableApplicationContext startWorker(String label, int port,
            org.springframework.context.ApplicationContextInitializer<ConfigurableApplicationContext> initializer,
            String... extra) {
        return start(WorkerApplication.class, null, initializer, concat(extra,
                "--CONNECTION_SWAP_WORKER_ADDR=127.0.0.1:" + port,
                "--CONNECTION_SWAP_WORKER_LABEL=" + label,
                "--CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:" + directorPort()));
    }

    /** Starts a client as {@link #startClient(String, String...)}; {@code initializer} may register beans first. */
    public Recorder startClient(String maxTokens,
            org.springframework.context.ApplicationContextInitializer<ConfigurableApplicationContext> initializer,
            String... extra) {
        Recorder recorder = new Recorder();
        recorder.context = start(ClientApplication.class, recorder, initializer, concat(extra,
                "--CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:" + directorPort(),
                "--CONNECTION_SWAP_MAX_TOKENS=" + maxTokens));
        return recorder;
    }

    /** Starts a client whose completed generations are collected in the returned recorder. */
    public Recorder startClient(String maxTokens, String... extra) {
        Recorder recorder = new Recorder();
        recorder.context = start(ClientApplication.class, recorder, concat(extra,
                "--CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:" + directorPort(),
                "--CONNECTION_SWAP_MAX_TOKENS=" + maxTokens));
        return recorder;
    }

    public void stop(ConfigurableApplicationContext context) {
        context.close();
        contexts.remove(context);
    }

    private ConfigurableApplicationContext start(Class<?> application, GenerationListener listener, String... args) {
        return start(application, listener, null, args);
    }

    private ConfigurableApplicationContext start(Class<?> application, GenerationListener listener,
            org.springframework.context.ApplicationContextInitializer<ConfigurableApplicationContext> initializer,
            String... args) {
        SpringApplicationBuilder builder = builderFor(application);
        if (listener != null) {
            builder.initializers(context -> context.getBeanFactory().registerSingleton("testRecorder", listener));
        }
        if (initializer != null) {
            builder.initializers(initializer);
        }
        ConfigurableApplicationContext context = builder.run(concat(args,
                "--server.port=0", "--spring.jmx.enabled=false", "--CONNECTION_SWAP_TOKEN_INTERVAL=" + tokenInterval,
                "--logging.level.io.connectionswap.worker.tokens=WARN",
                "--logging.level.io.connectionswap.client.tokens=WARN"));
        contexts.add(context);
        return context;
    }

    private static SpringApplicationBuilder builderFor(Class<?> application) {
        if (application == DirectorApplication.class) {
            return DirectorApplication.application();
        }
        if (application == WorkerApplication.class) {
            return WorkerApplication.application();
        }
        return ClientApplication.application();
    }

    /** {@code overrides} win over {@code defaults} with the same key (Spring would join repeated keys with commas). */
    private static String[] concat(String[] overrides, String... defaults) {
        java.util.Map<String, String> merged = new java.util.LinkedHashMap<>();
        for (String arg : defaults) {
            merged.put(key(arg), arg);
        }
        for (String arg : overrides) {
            merged.put(key(arg), arg);
        }
        return merged.values().toArray(new String[0]);
    }

    private static String key(String arg) {
        int eq = arg.indexOf('=');
        return eq < 0 ? arg : arg.substring(0, eq);
    }

    @Override
    public void close() {
        rawClients.forEach(RawQuicClient::close);
        rawClients.clear();
        List<ConfigurableApplicationContext> reversed = new ArrayList<>(contexts);
        java.util.Collections.reverse(reversed);
        for (ConfigurableApplicationContext context : reversed) {
            try {
                context.close();
            } catch (RuntimeException e) {
                System.err.println("closing " + context.getId() + " failed: " + e);
            }
        }
        contexts.clear();
    }

    /** Collects what a client completed. */
    public static final class Recorder implements GenerationListener {
        public final List<GenerationResult> completed = new CopyOnWriteArrayList<>();
        public ConfigurableApplicationContext context;

        @Override
        public void generationCompleted(GenerationResult result) {
            completed.add(result);
        }
    }
}
