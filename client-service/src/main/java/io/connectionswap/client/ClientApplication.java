package io.connectionswap.client;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The streaming client: one QUIC connection to the director, one generation after another, every token checked. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ClientApplication {

    public static void main(String[] args) {
        SpringApplication.run(ClientApplication.class, args);
    }
}
