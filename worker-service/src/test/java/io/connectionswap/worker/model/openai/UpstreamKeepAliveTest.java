package io.connectionswap.worker.model.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pool's idle time is capped at 30 s unless the JVM's options set it. */
class UpstreamKeepAliveTest {

    private String before;

    @BeforeEach
    void remember() {
        before = System.getProperty(UpstreamKeepAlive.PROPERTY);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(UpstreamKeepAlive.PROPERTY);
        } else {
            System.setProperty(UpstreamKeepAlive.PROPERTY, before);
        }
    }

    @Test
    void unsetItBecomesThirtySeconds() {
        System.clearProperty(UpstreamKeepAlive.PROPERTY);

        assertThat(UpstreamKeepAlive.capIdleConnections()).isEqualTo(Duration.ofSeconds(30));
        assertThat(System.getProperty(UpstreamKeepAlive.PROPERTY)).isEqualTo("30");
    }

    @Test
    void aValueTheJvmOptionsSetIsLeftAsItIs() {
        System.setProperty(UpstreamKeepAlive.PROPERTY, "90");

        assertThat(UpstreamKeepAlive.capIdleConnections()).isEqualTo(Duration.ofSeconds(90));
        assertThat(System.getProperty(UpstreamKeepAlive.PROPERTY)).isEqualTo("90");
    }
}
