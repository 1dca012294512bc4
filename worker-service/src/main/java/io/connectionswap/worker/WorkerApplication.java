package io.connectionswap.worker;

import io.connectionswap.protocol.config.CommonPoolThreads;
import io.connectionswap.service.config.RoleDefaults;
import io.connectionswap.service.log.AsyncConsole;
import io.connectionswap.service.tls.CertificatesLocation;
import io.connectionswap.worker.model.openai.UpstreamKeepAlive;
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
     * The role's defaults are {@code worker-service.yml} on the classpath rather than {@code application.yml}, so the
     * three roles can share one classpath (the end-to-end tests run them in one JVM) without reading each other's
     * defaults. Boot's standard {@code application.yml}/{@code .yaml}/{@code .properties} are read too, from every
     * standard location (working directory, {@code ./config/}, {@code spring.config.additional-location}): the
     * later config name wins, so an operator's {@code application.yaml} overrides the role's defaults, and the
     * environment (or a command-line property) overrides both, also through the variables the defaults name
     * ({@link RoleDefaults}). The other initializer supplies the directory of the worker's SSL bundle
     * ({@code CONNECTION_SWAP_CERTS_DIR}).
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(WorkerApplication.class)
                .main(WorkerApplication.class)
                .properties("spring.config.name=worker-service,application")
                // once Boot has configured the console: behind a queue that drops (and counts) rather than blocks
                .listeners((ApplicationListener<ApplicationReadyEvent>) ready -> AsyncConsole.install())
                .initializers(RoleDefaults.environmentFirst("worker-service"), CertificatesLocation.forRole("worker"));
    }

    public static void main(String[] args) {
        CommonPoolThreads.atLeastTwo(); // before anything uses the common pool: no thread per async HTTP answer
        UpstreamKeepAlive.capIdleConnections(); // before the first HttpClient: the JDK reads it once
        application().run(args);
    }
}
