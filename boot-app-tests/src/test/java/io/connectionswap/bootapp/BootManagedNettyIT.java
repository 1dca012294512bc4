package io.connectionswap.bootapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.swapclient.GenerationEvent;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.util.Version;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter in a plain Spring Boot application whose POM leaves Boot's Netty version as it is (this module's POM),
 * against a director and two workers from their built jars: it runs on the Netty Boot manages, a generation runs end
 * to end, and a kill -9 of the worker serving one moves it to the other worker with the text of an unbroken one.
 */
class BootManagedNettyIT {

    private static final Duration GENERATION_DEADLINE = Duration.ofSeconds(60);
    /** 3 s at 50 ms a token: long enough to kill the worker in the middle. */
    private static final int TOKENS = 60;

    @AutoClose
    private static DirectorAndWorkers fleet;
    @AutoClose
    private static CapturedLogs nettyLogs;
    @AutoClose
    private static ConfigurableApplicationContext application;
    private static SwapClient client;

    @BeforeAll
    static void startFleetAndApplication() throws Exception {
        fleet = new DirectorAndWorkers();
        // Boot's logging set-up would reset Logback and drop the capture's appender: the test's Logback stays as is
        System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
        nettyLogs = CapturedLogs.of("io.netty");
        application = new SpringApplicationBuilder(PlainBootApplication.class).web(WebApplicationType.NONE)
                .run("--connection-swap.client.director-target=" + fleet.directorTarget(),
                        "--connection-swap.client.certs-dir=" + RepositoryPki.certs());
        client = application.getBean(SwapClient.class);
    }

    @Test
    void theQuicClientRunsOnTheNettyVersionSpringBootManages() {
        String boot = System.getProperty("boot.netty.version");
        assertThat(boot).as("boot.netty.version (set by this module's POM)").isNotBlank();
        Map<String, Version> versions = Version.identify();
        for (String artifact : List.of("netty-codec-classes-quic", "netty-codec-native-quic", "netty-codec-base",
                "netty-transport", "netty-handler", "netty-common")) {
            assertThat(versions.get(artifact)).as(artifact + " on the classpath").isNotNull();
            assertThat(versions.get(artifact).artifactVersion()).as(artifact).isEqualTo(boot);
        }
    }

    @Test
    void aGenerationRunsEndToEnd() throws Exception {
        RecordedGeneration generation = generate().awaitEnd(GENERATION_DEADLINE);

        assertThat(generation.events(GenerationEvent.Token.class)).hasSize(TOKENS);
        assertThat(generation.events(GenerationEvent.Swapped.class)).isEmpty();
        assertThat(generation.events(GenerationEvent.Completed.class)).singleElement()
                .satisfies(completed -> assertThat(completed.sequenceErrors()).isZero());
        assertNettyWarnedOfNothing();
    }

    @Test
    void killNineOfTheServingWorkerSwapsTheGenerationWithNoTokenLost() throws Exception {
        String unbroken = generate().awaitEnd(GENERATION_DEADLINE).text();
        RecordedGeneration generation = generate();
        await("15 tokens").atMost(GENERATION_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> generation.events(GenerationEvent.Token.class).size() >= 15);
        String serving = generation.events(GenerationEvent.Assigned.class).get(0).worker();

        fleet.worker(serving).kill9();

        generation.awaitEnd(GENERATION_DEADLINE);
        assertThat(generation.events(GenerationEvent.Swapped.class)).singleElement()
                .satisfies(swapped -> assertThat(swapped.fromWorker()).isEqualTo(serving));
        assertThat(generation.text()).as("the text of an unbroken generation").isEqualTo(unbroken);
        assertThat(generation.events(GenerationEvent.Completed.class)).singleElement()
                .satisfies(completed -> assertThat(completed.sequenceErrors()).isZero());
        assertNettyWarnedOfNothing();
    }

    private static RecordedGeneration generate() {
        return RecordedGeneration.of(client.completion("stand-in", "Once upon a time", SamplingParameters.maxTokens(TOKENS)));
    }

    private static void assertNettyWarnedOfNothing() {
        assertThat(nettyLogs.events()).as("Netty's warnings and errors in the application")
                .noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN));
    }
}
