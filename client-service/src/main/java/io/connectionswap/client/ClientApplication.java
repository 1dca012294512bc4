package io.connectionswap.client;

import io.connectionswap.protocol.config.CommonPoolThreads;
import io.connectionswap.service.config.RoleDefaults;
import io.connectionswap.service.log.AsyncConsole;
import io.connectionswap.service.tls.CertificatesLocation;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The streaming client: one QUIC connection to the director, one generation after another, every token checked. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ClientApplication {

    /**
     * The role's defaults are {@code client-service.yml} on the classpath rather than {@code application.yml}, so the
     * three roles can share one classpath (the end-to-end tests run them in one JVM) without reading each other's
     * defaults. Boot's standard {@code application.yml}/{@code .yaml}/{@code .properties} are read too, from every
     * standard location (working directory, {@code ./config/}, {@code spring.config.additional-location}): the
     * later config name wins, so an operator's {@code application.yaml} overrides the role's defaults, and the
     * environment (or a command-line property) overrides both, also through the variables the defaults name
     * ({@link RoleDefaults}). The other initializer supplies the directory of the client's SSL bundle
     * ({@code CONNECTION_SWAP_CERTS_DIR}).
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(ClientApplication.class)
                .main(ClientApplication.class)
                .properties("spring.config.name=client-service,application")
                // once Boot has configured the console: behind a queue that drops (and counts) rather than blocks
                .listeners((ApplicationListener<ApplicationReadyEvent>) ready -> AsyncConsole.install())
                .initializers(RoleDefaults.environmentFirst("client-service"), CertificatesLocation.forRole("client"));
    }

    public static void main(String[] args) {
        CommonPoolThreads.atLeastTwo(); // before anything uses the common pool: no thread per async HTTP answer
        application().run(args);
    }
}
