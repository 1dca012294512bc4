package io.connectionswap.bench;

import io.connectionswap.worker.WorkerApplication;
import io.connectionswap.worker.model.Pacing;
import java.nio.file.Path;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A worker running as a Spring application inside the bench JVM, with {@link TimestampTokenModel} plugged in as
 * its {@code TokenModel} bean (registered before refresh, so the worker's default model backs off): its tokens
 * carry the emit time on the bench JVM's clock, and the bench can turn its health DOWN.
 */
final class InJvmWorker implements AutoCloseable {

    private final String label;
    private final TimestampTokenModel model;
    private final ConfigurableApplicationContext context;

    private InJvmWorker(String label, TimestampTokenModel model, ConfigurableApplicationContext context) {
        this.label = label;
        this.model = model;
        this.context = context;
    }

    static InJvmWorker start(String label, int directorPort, Path certs, String tokenInterval, Pacing pacing,
                             Path logFile) {
        // its own pacing thread: the worker's event loops exist only once the context is refreshed
        TimestampTokenModel model = new TimestampTokenModel(
                org.springframework.boot.convert.DurationStyle.detectAndParse(tokenInterval), pacing,
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                        new io.netty.util.concurrent.DefaultThreadFactory("bench-model-" + label, true)));
        ConfigurableApplicationContext context = WorkerApplication.application()
                .initializers(ctx -> ctx.getBeanFactory().registerSingleton("benchTokenModel", model))
                .run("--CONNECTION_SWAP_WORKER_ADDR=127.0.0.1:0",
                        "--CONNECTION_SWAP_WORKER_LABEL=" + label,
                        "--CONNECTION_SWAP_DIRECTOR_TARGET=127.0.0.1:" + directorPort,
                        "--CONNECTION_SWAP_TOKEN_INTERVAL=" + tokenInterval,
                        "--CONNECTION_SWAP_CERTS_DIR=" + certs,
                        "--CONNECTION_SWAP_DRAIN_TIMEOUT=2s",
                        "--server.port=0",
                        "--spring.jmx.enabled=false",
                        "--spring.main.register-shutdown-hook=false",
                        "--logging.level.io.connectionswap.worker.tokens=WARN",
                        // the bench JVM's logging is one for all: the client library's per-token line (gateway phase)
                        "--logging.level.io.connectionswap.client.tokens=WARN",
                        "--logging.file.name=" + logFile,
                        "--logging.threshold.console=OFF");
        return new InJvmWorker(label, model, context);
    }

    String label() {
        return label;
    }

    TimestampTokenModel model() {
        return model;
    }

    /** Generation streams the worker is serving now. */
    int activeStreams() {
        return context.getBean(io.connectionswap.worker.quic.ActiveStreams.class).count();
    }

    int quicPort() {
        return context.getEnvironment().getRequiredProperty("local.quic.port", Integer.class);
    }

    @Override
    public void close() {
        try {
            context.close();
        } catch (RuntimeException e) {
            System.err.println("[bench] closing in-JVM worker " + label + " failed: " + e);
        }
    }
}
