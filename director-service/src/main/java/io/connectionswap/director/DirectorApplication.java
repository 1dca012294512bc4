package io.connectionswap.director;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The director: accepts client streams over QUIC, relays each to a healthy worker, swaps workers on failure. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DirectorApplication {

    public static void main(String[] args) {
        SpringApplication.run(DirectorApplication.class, args);
    }
}
