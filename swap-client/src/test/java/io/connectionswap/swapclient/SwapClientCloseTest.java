package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * After close(), a subscriber's request and cancel return normally, and one subscriber that throws from onError does
 * not keep the others from their CANCELLED. No director needed.
 */
class SwapClientCloseTest {

    @AutoClose
    private SwapClient client;

    private SwapClient.Builder builder() {
        return SwapClient.builder().directors("127.0.0.1:" + Ports.freeUdpPort())
                .certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
    }

    /**
     * Reactive Streams 3.15/3.16 (and 3.6/3.7): request and cancel MUST return normally, and are no-ops once the
     * subscription is cancelled or terminated. After close() of a client with its own event loop, both hop onto the
     * dead loop and throw RejectedExecutionException at the subscriber (a Reactor dispose() after shutdown, say).
     */
    @Test
    void cancelAndRequestAfterCloseReturnNormally() throws Exception {
        client = builder().build().start();
        Recorder subscriber = new Recorder(); // requests nothing
        client.completion("stand-in", "p", SamplingParameters.maxTokens(3), GenerationOptions.WAIT_FOREVER)
                .subscribe(subscriber);
        Flow.Subscription s = subscriber.subscription().get(5, TimeUnit.SECONDS);
        client.close();
        assertThat(subscriber.ended()).as("CANCELLED, though nothing was requested").isCompletedWithValueMatching(
                failure -> failure instanceof GenerationException generation && generation.code() == ErrorCode.CANCELLED);
        assertThatCode(() -> s.request(1)).as("request after close").doesNotThrowAnyException();
        assertThatCode(s::cancel).as("cancel after close").doesNotThrowAnyException();
    }

    /**
     * close() ends the running generations in one pass over them; a subscriber whose onError throws (a Reactive
     * Streams violation, but one subscriber's) ended that pass: the others never got their CANCELLED, and close()
     * waited its full 5 s.
     */
    @Test
    void oneSubscriberThrowingFromOnErrorDoesNotStopCloseFromEndingTheOthers() throws Exception {
        client = builder().build().start();
        int generations = 5;
        AtomicInteger toldCancelled = new AtomicInteger();
        for (int i = 0; i < generations; i++) {
            client.completion("stand-in", "p", SamplingParameters.maxTokens(3), GenerationOptions.WAIT_FOREVER)
                    .subscribe(Recorder.requestingAll().inOnError(failure -> {
                        toldCancelled.incrementAndGet();
                        throw new IllegalStateException("a subscriber's bug");
                    }));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> client.activeGenerations() == generations);
        try (CapturedLogs logs = CapturedLogs.of(SwapClient.class)) {
            client.close();

            assertThat(toldCancelled.get()).as("generations told CANCELLED").isEqualTo(generations);
            assertThat(logs.events()).as("close() ended them in its pass, not at its 5 s timeout")
                    .noneMatch(event -> event.getFormattedMessage().contains("did not end its generations"));
        }
    }
}
