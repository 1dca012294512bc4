package io.connectionswap.worker;

import io.connectionswap.protocol.log.AsyncConsole;
import io.connectionswap.protocol.tls.CertificatesLocation;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** A worker: serves generation streams handed over by the director over QUIC. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class WorkerApplication {

    /**
     * The settings file is {@code worker-service.yml} rather than {@code application.yml}, so the three roles can
     * share one classpath (the end-to-end tests run them in one JVM) without reading each other's settings. The
     * initializer supplies the directory of the worker's SSL bundle ({@code CONNECTION_SWAP_CERTS_DIR}).
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(WorkerApplication.class)
                .main(WorkerApplication.class)
                .properties("spring.config.name=worker-service")
                // once Boot has configured the console: behind a queue that drops (and counts) rather than blocks
                .listeners((ApplicationListener<ApplicationReadyEvent>) ready -> AsyncConsole.install())
                .initializers(CertificatesLocation.forRole("worker"));
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
