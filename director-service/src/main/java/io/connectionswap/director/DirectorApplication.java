package io.connectionswap.director;

import io.connectionswap.protocol.log.AsyncConsole;
import io.connectionswap.protocol.tls.CertificatesLocation;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The director: accepts client streams over QUIC, relays each to a healthy worker, swaps workers on failure. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DirectorApplication {

    /**
     * The settings file is {@code director-service.yml} rather than {@code application.yml}, so the three roles can
     * share one classpath (the end-to-end tests run them in one JVM) without reading each other's settings. The
     * initializer supplies the directory of the director's SSL bundle ({@code CONNECTION_SWAP_CERTS_DIR}).
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(DirectorApplication.class)
                .main(DirectorApplication.class)
                .properties("spring.config.name=director-service")
                // once Boot has configured the console: behind a queue that drops (and counts) rather than blocks
                .listeners((ApplicationListener<ApplicationReadyEvent>) ready -> AsyncConsole.install())
                .initializers(CertificatesLocation.forRole("director"));
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
