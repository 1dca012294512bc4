package io.connectionswap.client;

import io.connectionswap.client.config.CertificatesLocation;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The streaming client: one QUIC connection to the director, one generation after another, every token checked. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ClientApplication {

    /**
     * The settings file is {@code client-service.yml} rather than {@code application.yml}, so the three roles can
     * share one classpath (the end-to-end tests run them in one JVM) without reading each other's settings. The
     * initializer supplies the directory of the client's SSL bundle ({@code CONNECTION_SWAP_CERTS_DIR}).
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(ClientApplication.class)
                .main(ClientApplication.class)
                .properties("spring.config.name=client-service")
                .initializers(CertificatesLocation.forRole("client"));
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
