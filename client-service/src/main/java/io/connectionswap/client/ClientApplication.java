package io.connectionswap.client;

import io.connectionswap.protocol.log.AsyncConsole;
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
     * The settings file is {@code client-service.yml} rather than {@code application.yml}, so the three roles can
     * share one classpath (the end-to-end tests run them in one JVM) without reading each other's settings.
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(ClientApplication.class)
                .main(ClientApplication.class)
                .properties("spring.config.name=client-service")
                // once Boot has configured the console: behind a queue that drops (and counts) rather than blocks
                .listeners((ApplicationListener<ApplicationReadyEvent>) ready -> AsyncConsole.install());
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
