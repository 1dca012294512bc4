package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.quic.QuicEventLoops;
import io.connectionswap.testsupport.await.Holds;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.connectionswap.testsupport.net.Ports;
import io.connectionswap.testsupport.tls.RepositoryPki;
import io.netty.channel.EventLoopGroup;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import ch.qos.logback.classic.Level;

/**
 * What an application sees of a client that has no director to talk to: a wrong address, a client never started,
 * a client closed from a callback. A real client on the repository's PKI, no director: the error of a generation's
 * bounded wait must say what to fix, not only that it waited; closing must not hold the client's thread.
 */
class SwapClientWithoutADirectorTest {

    private static final Duration WAIT = Duration.ofMillis(500);

    @AutoClose
    private SwapClient client;

    private SwapClient.Builder builder(String director) {
        return SwapClient.builder().directors(director).certificates(RepositoryPki.certs().toString())
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
    }

    @Test
    void aBoundedWaitAtAnAddressWhereNoDirectorListensNamesTheAddressAndTheProblem() throws Exception {
        String nobody = "127.0.0.1:" + Ports.freeUdpPort();
        client = builder(nobody).build().start();
        GenerationException failure = failureOf();
        assertThat(failure.code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(failure.detail()).startsWith("no connection to a director within PT0.5S: cannot connect to "
                + "director " + nobody);
        assertThat(failure.detail()).as("what a bare QuicClosedChannelException means there")
                .endsWith("(no QUIC handshake: nothing answered at that address, or it is not the director's QUIC "
                        + "port)");
    }

    @Test
    void aBoundedWaitOfAClientNeverStartedSaysSo() throws Exception {
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build(); // start() forgotten
        GenerationException failure = failureOf();
        assertThat(failure.detail()).isEqualTo("no connection to a director within PT0.5S: the client is not started "
                + "(call SwapClient.start())");
    }

    /**
     * A model name no worker can register (with a line break or an ESC, blank or empty) was sent in a GENERATE: the
     * application learnt only from the director's MODEL_NOT_FOUND, or waited for NO_HEALTHY_WORKER. Now the client
     * refuses it when the generation is asked for, saying what a model name is; no model (null) is any worker.
     */
    @Test
    void aModelNameNoWorkerCanRegisterIsRefusedWhenTheGenerationIsAskedFor() {
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build();
        SamplingParameters sampling = SamplingParameters.maxTokens(3);
        for (String model : List.of("stand-in\nx", "\u001b[2J", "  ", "")) {
            assertThatThrownBy(() -> client.completion(model, "p", sampling))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageEndingWith("' (expected: 1 to 256 printable characters, or null for any worker)");
            assertThatThrownBy(() -> client.chat(model, List.of(new ChatMessage("user", "hi")), sampling))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("model: '");
        }
        assertThat(client.completion(null, "p", sampling)).as("any worker").isNotNull();
    }

    @Test
    void closingFromACallbackOnTheClientsThreadReturnsAtOnceAndTheThreadEnds() throws Exception {
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build().start();
        CompletableFuture<Duration> closeTook = new CompletableFuture<>();
        CompletableFuture<Thread> callbackThread = new CompletableFuture<>();
        whenAGenerationFails(() -> { // NO_HEALTHY_WORKER, on the client's I/O thread
            callbackThread.complete(Thread.currentThread());
            long start = System.nanoTime();
            client.close();
            closeTook.complete(Duration.ofNanos(System.nanoTime() - start));
        });
        Thread loop = callbackThread.get(30, TimeUnit.SECONDS);
        assertThat(loop.getName()).startsWith("swap-client-quic");
        // it waited for its own thread to end, which cannot happen while that thread waits: 5 s
        assertThat(closeTook.get(30, TimeUnit.SECONDS)).isLessThan(Duration.ofSeconds(1));
        await("the client's thread ends once the callback returns").atMost(Duration.ofSeconds(30))
                .until(() -> !loop.isAlive());
        assertThat(client.connectionState().connected()).isFalse();
    }

    @Test
    void aClientClosedRightAfterItsStartReportsNoProblemWithTheDirector() throws Exception {
        // a director that never answers: the connection is still being set up when the client closes
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             CapturedLogs connection = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection")) {
            for (int i = 0; i < 10; i++) { // the closing raced a connect attempt: most runs, not every one
                SwapClient closed = builder("127.0.0.1:" + silent.getLocalPort()).build().start();
                closed.close();
                assertThat(closed.connectionState().lastProblem()).as("last problem of run %d", i).isNull();
            }
            assertThat(connection.events()).as("the client's own closing is not a director problem")
                    .noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN));
        }
    }

    @Test
    void attemptsAlternatingBetweenTwoAddressesWhereNothingAnswersWarnOncePerAddress() {
        String first = "127.0.0.1:" + Ports.freeUdpPort();
        String second = "127.0.0.1:" + Ports.freeUdpPort();
        try (CapturedLogs connection = CapturedLogs.of("io.connectionswap.swapclient.DirectorConnection")) {
            connection.logger().setLevel(Level.DEBUG);
            client = builder(first + "," + second).build().start();
            await("ten failed attempts").atMost(Duration.ofSeconds(30))
                    .until(() -> connection.events().size() >= 10);
            assertThat(connection.events()).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                    .extracting(event -> event.getFormattedMessage().contains(first) ? first : second)
                    .as("one line per address, the repeats at DEBUG").containsExactly(first, second);
        }
    }

    @Test
    void aGenerationSubscribedAfterCloseFailsOnTheClientsThreadWhenTheApplicationsGroupStillRuns() throws Exception {
        EventLoopGroup application = QuicEventLoops.create("application-loop", 1);
        try {
            client = builder("127.0.0.1:" + Ports.freeUdpPort()).eventLoopGroup(application).build().start();
            client.close();
            CompletableFuture<Thread> onErrorThread = new CompletableFuture<>();
            Throwable failure = whenAGenerationFails(() -> onErrorThread.complete(Thread.currentThread()))
                    .get(30, TimeUnit.SECONDS);
            assertThat(failure).isInstanceOf(GenerationException.class).hasMessageContaining("the client is closed");
            assertThat(onErrorThread.get().getName()).as("like every other signal").startsWith("application-loop");
        } finally {
            application.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /**
     * SwapClient.connected(): "It fails only when the client is closed already". With its own loop it does (the loop
     * has ended: execute is refused); with the application's group, which outlives the client, the task runs, finds no
     * connection and waits for one from a link that close() stopped: a readiness check made after close (or during
     * it) never completes.
     */
    @Test
    void connectedAfterCloseFailsWhenTheApplicationsGroupStillRuns() {
        EventLoopGroup application = QuicEventLoops.create("application-loop", 1);
        try {
            client = builder("127.0.0.1:" + Ports.freeUdpPort()).eventLoopGroup(application).build().start();
            client.close();
            CompletableFuture<Void> connected = client.connected();
            Throwable waited = catchThrowable(() -> connected.get(5, TimeUnit.SECONDS));
            assertThat(waited).as("connected() of a closed client fails with \"client is closed\" (documented, and so "
                            + "with the client's own loop); a TimeoutException: it never completes")
                    .isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessage("client is closed");
        } finally {
            application.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** A readiness check still waiting (no director answers) when the client closes fails then, as documented. */
    @Test
    void aConnectedFutureWaitingWhenTheClientClosesFailsThen() {
        EventLoopGroup application = QuicEventLoops.create("application-loop", 1);
        try {
            client = builder("127.0.0.1:" + Ports.freeUdpPort()).eventLoopGroup(application).build().start();
            CompletableFuture<Void> connected = client.connected();
            assertThat(connected).as("nothing answers at that address").isNotDone();
            client.close();
            Throwable waited = catchThrowable(() -> connected.get(5, TimeUnit.SECONDS));
            assertThat(waited).as("a readiness check waiting when the client closes fails with \"client is closed\"; "
                            + "a TimeoutException: it never completes")
                    .isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessage("client is closed");
        } finally {
            application.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGenerationSubscribedAfterCloseOfAClientWithItsOwnLoopFailsOnTheSubscribingThreadAsDocumented() {
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build().start();
        client.close(); // its loop has ended
        CompletableFuture<Thread> onErrorThread = new CompletableFuture<>();
        CompletableFuture<Throwable> failed = whenAGenerationFails(
                () -> onErrorThread.complete(Thread.currentThread()));
        assertThat(failed).as("before subscribe returns").isDone();
        assertThat(onErrorThread.join()).isSameAs(Thread.currentThread());
    }

    @Test
    void aGenerationStartedWithoutOptionsWaitsTheBuildersBoundNotForEver() throws Exception {
        String nobody = "127.0.0.1:" + Ports.freeUdpPort();
        client = builder(nobody).noWorkerWait(WAIT).build().start();
        Throwable failure = whenItFails(client.completion("stand-in", "p", SamplingParameters.maxTokens(3)), () -> { })
                .get(30, TimeUnit.SECONDS);
        assertThat(failure).isInstanceOf(GenerationException.class)
                .hasMessageStartingWith("NO_HEALTHY_WORKER: no connection to a director within PT0.5S: "
                        + "cannot connect to director " + nobody);
        assertThat(((GenerationException) failure).code()).isEqualTo(ErrorCode.NO_HEALTHY_WORKER);
    }

    /**
     * A client kept its builder and read the generations' settings from it at each subscription, so a builder reused
     * after {@code build()} (to build a second client with other settings) changed the first client too: here its
     * bounded wait became a wait for ever. A client now keeps the settings it was built with.
     */
    @Test
    void aBuilderChangedAfterBuildLeavesTheClientItBuiltAsItWas() throws Exception {
        String nobody = "127.0.0.1:" + Ports.freeUdpPort();
        SwapClient.Builder reused = builder(nobody).noWorkerWait(WAIT);
        client = reused.build().start();
        reused.noWorkerWait(null).tokenStream(false); // for another client

        Throwable failure = whenItFails(client.completion("stand-in", "p", SamplingParameters.maxTokens(3)), () -> { })
                .get(30, TimeUnit.SECONDS);
        assertThat(failure).isInstanceOf(GenerationException.class)
                .hasMessageStartingWith("NO_HEALTHY_WORKER: no connection to a director within PT0.5S");
    }

    @Test
    void theBuildersBoundIsThirtySecondsUnlessSetAndNullWaitsForEver() throws Exception {
        assertThat(SwapClient.DEFAULT_NO_WORKER_WAIT_SECONDS).isEqualTo(30);
        assertThat(SwapClient.builder().defaultOptions().noWorkerWait()).isEqualTo(Duration.ofSeconds(30));
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).noWorkerWait(null).build().start();
        CompletableFuture<Throwable> failure = whenItFails(
                client.chat("stand-in", List.of(new ChatMessage("user", "hi")), SamplingParameters.maxTokens(3)),
                () -> { });
        Holds.throughout(WAIT.multipliedBy(3), () -> "still waiting, yet ended: " + failure.getNow(null),
                () -> !failure.isDone());
        assertThatThrownBy(() -> SwapClient.builder().noWorkerWait(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("noWorkerWait: PT-1S (expected: >= 0, or null)");
    }

    @Test
    void closingLeavesNoThreadOfTheClientOrOfNettysGlobalExecutorBehind() throws Exception {
        await("Netty's global executor idle, from earlier tests").atMost(Duration.ofSeconds(10))
                .until(() -> threads("globalEventExecutor").isEmpty());
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build().start();
        failureOf(); // it tried to connect
        client.close();
        await("the client's threads end (its loop; no name lookup for an IP address)").atMost(Duration.ofSeconds(1))
                .until(() -> threads("swap-client").isEmpty());
        // once started, Netty's global executor lives a second or more: 200 ms without it means it was not
        Holds.throughout(Duration.ofMillis(200), () -> "Netty's global executor, started to hear of the loop's "
                + "end, lingering a second or two: " + threads("globalEventExecutor"),
                () -> threads("globalEventExecutor").isEmpty());
    }

    private static List<Thread> threads(String namePrefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().startsWith(namePrefix)).toList();
    }

    @Test
    void statusFailsThroughItsFutureSayingWhyBeforeStartAndAfterClose() {
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build();
        assertThat(client.status()).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                .havingCause().isInstanceOf(IllegalStateException.class)
                .withMessage("not connected to a director: the client is not started (call SwapClient.start())");
        client.start();
        client.close();
        assertThat(client.status()).as("a failed future, as connected() gives, not an exception thrown at the caller")
                .failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                .havingCause().isInstanceOf(IllegalStateException.class).withMessage("client is closed");
    }

    @Test
    void waitingForStatusOrConnectionInACallbackFailsAtOnceInsteadOfBlockingTheClientsThread() throws Exception {
        client = builder("127.0.0.1:" + Ports.freeUdpPort()).build().start();
        CompletableFuture<List<Throwable>> waits = new CompletableFuture<>();
        CompletableFuture<Duration> took = new CompletableFuture<>();
        whenAGenerationFails(() -> { // on the client's I/O thread
            List<Throwable> thrown = new ArrayList<>();
            long start = System.nanoTime();
            try {
                client.status().get(2, TimeUnit.SECONDS); // the 2 s would pass, the loop being this thread
            } catch (Throwable e) {
                thrown.add(e);
            }
            try {
                client.connected().thenApply(ignored -> "up").join(); // never: a derived stage too
            } catch (Throwable e) {
                thrown.add(e);
            }
            took.complete(Duration.ofNanos(System.nanoTime() - start));
            waits.complete(thrown);
        });
        List<Throwable> thrown = waits.get(30, TimeUnit.SECONDS);
        assertThat(thrown).hasSize(2).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("waiting on the client's I/O thread"));
        assertThat(took.get()).isLessThan(Duration.ofSeconds(1));
        assertThat(client.status()).as("from another thread, as before")
                .failsWithin(Duration.ofSeconds(30)).withThrowableThat().havingCause()
                .withMessageStartingWith("not connected to a director: cannot connect to director");
    }

    /**
     * Subscribes to a generation that finds no director within {@link #WAIT} and runs {@code inOnError} in its
     * {@code onError}, on the thread that delivers it; the future returned completes with the failure after that, or
     * fails on an event or a completion (without a director there is none).
     */
    private CompletableFuture<Throwable> whenAGenerationFails(Runnable inOnError) {
        return whenItFails(client.completion("stand-in", "p", SamplingParameters.maxTokens(3),
                GenerationOptions.waitAtMost(WAIT)), inOnError);
    }

    /** Subscribes to {@code generation}, which must fail, as {@link #whenAGenerationFails} says. */
    private static CompletableFuture<Throwable> whenItFails(Flow.Publisher<GenerationEvent> generation,
                                                            Runnable inOnError) {
        Recorder recorder = Recorder.requestingAll().inOnError(failure -> inOnError.run());
        generation.subscribe(recorder);
        return recorder.ended().thenApply(failure -> {
            if (!recorder.events.isEmpty()) {
                throw new AssertionError("an event without a director: " + recorder.events.get(0));
            }
            if (failure == null) {
                throw new AssertionError("completed without a director");
            }
            return failure;
        });
    }

    private GenerationException failureOf() throws Exception {
        Throwable failure = whenAGenerationFails(() -> { }).get(30, TimeUnit.SECONDS);
        assertThat(failure).isInstanceOf(GenerationException.class);
        return (GenerationException) failure;
    }
}
