package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.ChatMessage;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.Retry;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.ChatFormat;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GreedyLlmProcess;
import io.connectionswap.systemtest.support.GreedyUpstreams;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.ResumingClient;
import io.connectionswap.testsupport.llm.Behaviour;
import io.connectionswap.testsupport.llm.GreedyLlm;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Workers in front of a real OpenAI-compatible server process ({@code CONNECTION_SWAP_MODEL_BACKEND=openai}), with
 * the built jars as processes. Each worker has its OWN upstream (a {@link GreedyLlmProcess}, as each worker of a real
 * deployment fronts its own model server), so a failure injected into one worker's upstream leaves the other
 * worker's intact and the swap has somewhere to go. The greedy server's next token depends on the whole text so far:
 * a resume that loses, repeats or alters a single character of the delivered text changes the rest, so comparing
 * the client's text with {@link GreedyLlm#complete} (what the upstream produces with no failure at all) proves the
 * continuation exact. The client is {@link ResumingClient}, a small test harness on one QUIC connection.
 *
 * <p>A request is steered to worker-a by naming worker-b as the worker to avoid, so the test knows which worker to
 * kill or break.
 */
@ExtendWith(DumpLogsOnFailure.class)
class OpenAiUpstreamIT {

    private static final String MODEL = "greedy-1";
    private static final ChatFormat CHAT_FORMAT = ChatFormat.CHATML;
    private static final Duration GENERATION_DEADLINE = Duration.ofSeconds(90);

    @AutoClose
    private ProcessCluster cluster;
    private GreedyUpstreams upstreams;
    private ResumingClient client;

    private void start(TestInfo test, String gapMin, String gapMax) throws Exception {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        upstreams = cluster.startGreedyUpstreams(MODEL, gapMin, gapMax);
        // A worker with a real model registers no token interval, so the director's stall limit is its minimum; the
        // first token of a cold worker JVM on two busy cores can take longer than the 400 ms ProcessCluster sets.
        // These tests are about upstream failures, crashes and drains, none of which is found as a stall.
        cluster.startDirector("CONNECTION_SWAP_STALL_MINIMUM=2s");
        cluster.startTwoWorkersOn(upstreams, "CONNECTION_SWAP_UPSTREAM_CHAT_TEMPLATE=" + CHAT_FORMAT.label());
        client = cluster.connectResumingClient();
        // warm both workers up (class loading, first HTTP connection), checking the text on each
        for (String avoid : new String[] {"worker-b", "worker-a"}) {
            assertExactText(client.run(steered("warm-up", 5, avoid), GENERATION_DEADLINE), "warm-up", 5);
        }
    }

    @Test
    void killNineOfTheServingWorkerMidStreamKeepsTheExactText(TestInfo test) throws Exception {
        start(test, "20ms", "20ms");
        String prompt = "The worker that serves this stream is killed with signal 9";
        ResumingClient.Generation generation = client.start(steered(prompt, 150, "worker-b"));
        await("worker-a streams tokens").atMost(GENERATION_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> generation.tokens() >= 20 || generation.done());
        assertThat(generation.currentWorker()).isEqualTo("worker-a");

        worker("worker-a").kill9();

        generation.await(GENERATION_DEADLINE);
        assertExactText(generation, prompt, 150);
        assertThat(generation.workers()).containsExactly("worker-a", "worker-b");
        assertThat(generation.retries()).singleElement().satisfies(retry -> {
            assertThat(retry.failedWorker()).isEqualTo("worker-a");
            assertThat(retry.lastSequence()).isBetween(20, 149);
        });
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total", "worker", "worker-a")).isEqualTo(1);
        assertThat(cluster.leakReports()).isEmpty();
    }

    /** A chat, rendered by the workers in {@link #CHAT_FORMAT}: the resume continues that prompt exactly. */
    @Test
    void aSigtermDrainOfTheServingWorkerKeepsTheExactTextOfAChat(TestInfo test) throws Exception {
        start(test, "20ms", "20ms");
        List<ChatMessage> messages = List.of(new ChatMessage("system", "You answer at length."),
                new ChatMessage("user", "The worker that serves this stream drains on SIGTERM"));
        String prompt = CHAT_FORMAT.render(messages);
        ResumingClient.Generation generation = client.start(new GenerationRequest(UUID.randomUUID().toString(), MODEL,
                null, messages, SamplingParameters.maxTokens(150), 0, null, "worker-b", 0, null, false));
        await("worker-a streams tokens").atMost(GENERATION_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> generation.tokens() >= 20 || generation.done());
        assertThat(generation.currentWorker()).isEqualTo("worker-a");
        ServiceProcess workerA = worker("worker-a");

        workerA.sigterm();

        generation.await(GENERATION_DEADLINE);
        assertExactText(generation, prompt, 150);
        assertThat(generation.retries()).singleElement().satisfies(retry -> {
            assertThat(retry.reason()).isEqualTo("drain");
            assertThat(retry.failedWorker()).isEqualTo("worker-a");
        });
        assertThat(generation.workers()).containsExactly("worker-a", "worker-b");
        assertThat(workerA.waitForExit(Duration.ofSeconds(40))).as("worker-a exits after draining").isTrue();
        assertThat(workerA.logLines("drained; closing quic server")).isNotEmpty();
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total", "reason", "drain")).isEqualTo(1);
        assertThat(cluster.leakReports()).isEmpty();
    }

    @Test
    void aOneMebibytePromptWorksAndAnOversizePromptIsRefusedWithoutDisturbingAnotherStream(TestInfo test) throws Exception {
        start(test, "20ms", "20ms");
        String background = "A stream that keeps flowing while a huge prompt is refused";
        ResumingClient.Generation flowing = client.start(steered(background, 200, "worker-a"));
        await("the other stream flows").atMost(GENERATION_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> flowing.tokens() >= 5 || flowing.done());

        String big = prompt(1024 * 1024);
        ResumingClient.Generation large = client.run(steered(big, 10, "worker-b"), GENERATION_DEADLINE);
        assertExactText(large, big, 10);

        ResumingClient.Generation oversize = client.run(steered(prompt(5 * 1024 * 1024), 10, null), GENERATION_DEADLINE);
        assertThat(oversize.failure()).isNull();
        assertThat(oversize.error()).as("final error").isNotNull();
        assertThat(oversize.error().code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(oversize.error().message()).contains("GENERATE frame of").contains("exceeds the limit of 4194304 bytes");
        assertThat(oversize.workers()).as("no worker was bothered").isEmpty();
        assertThat(oversize.tokens()).isZero();
        assertThat(flowing.done()).as("the other stream was still running").isFalse();

        flowing.await(GENERATION_DEADLINE);
        assertExactText(flowing, background, 200);
        assertThat(flowing.retries()).isEmpty();
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total")).isZero();
        assertThat(cluster.leakReports()).isEmpty();
    }

    @Test
    void anUpstream4xxIsAFinalErrorForTheClientAndIsNotSwapped(TestInfo test) throws Exception {
        start(test, "5ms", "5ms");
        Behaviour reject = new Behaviour(0, 5, 5, false, true, 0);
        upstreams.a().behaviour(reject);
        upstreams.b().behaviour(reject);
        int completionsBefore = upstreams.a().completions() + upstreams.b().completions();

        ResumingClient.Generation rejected = client.run(steered("a request the upstream refuses", 10, null),
                GENERATION_DEADLINE);

        assertThat(rejected.failure()).isNull();
        assertThat(rejected.error()).as("final error").isNotNull();
        assertThat(rejected.error().code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        assertThat(rejected.error().message()).contains("upstream answered HTTP 400: injected rejection")
                .as("the upstreams' internal addresses stay in the workers' logs")
                .doesNotContain(address(upstreams.a())).doesNotContain(address(upstreams.b()));
        String served = rejected.workers().get(0);
        GreedyLlmProcess servedUpstream = served.equals("worker-a") ? upstreams.a() : upstreams.b();
        assertThat(worker(served).logLines("model failed")).as("the worker's log names its upstream")
                .anySatisfy(line -> assertThat(line).contains("upstream.url=http://" + address(servedUpstream))
                        .contains("injected rejection"));
        assertThat(rejected.retries()).as("never swapped").isEmpty();
        assertThat(rejected.workers()).hasSize(1);
        assertThat(upstreams.a().completions() + upstreams.b().completions() - completionsBefore)
                .as("one upstream request").isEqualTo(1);
        PrometheusText director = cluster.director().metrics();
        assertThat(director.sum("connection_swap_swaps_total")).as("connection_swap_swaps_total").isZero();
        assertThat(director.sum("connection_swap_workers", "state", "healthy")).as("no worker blamed").isEqualTo(2);
    }

    @Test
    void anUpstream5xxOrACutStreamIsSwappedToTheOtherWorkerWithTheExactText(TestInfo test) throws Exception {
        start(test, "5ms", "5ms");

        // worker-a's upstream answers 503: the generation moves to worker-b before any token
        upstreams.a().behaviour(new Behaviour(0, 5, 5, true, false, 0));
        String failing = "worker-a's upstream fails with a 5xx";
        ResumingClient.Generation moved = client.run(steered(failing, 40, "worker-b"), GENERATION_DEADLINE);
        assertExactText(moved, failing, 40);
        assertThat(moved.workers()).containsExactly("worker-a", "worker-b");
        Retry fiveXx = moved.retries().get(0);
        assertThat(fiveXx.reason()).isEqualTo("stream_error");
        assertThat(fiveXx.detail()).contains("UPSTREAM_FAILED").contains("HTTP 503")
                .doesNotContain(address(upstreams.a()));
        upstreams.a().behaviour(new Behaviour(0, 5, 5, false, false, 0));

        // both upstreams cut every stream after 10 tokens: 10 on worker-a, 10 on worker-b, the last 10 on worker-a
        Behaviour cut = new Behaviour(0, 5, 5, false, false, 10);
        upstreams.a().behaviour(cut);
        upstreams.b().behaviour(cut);
        String cutPrompt = "every upstream stream is cut after ten tokens";
        ResumingClient.Generation resumed = client.run(steered(cutPrompt, 30, "worker-b"), GENERATION_DEADLINE);
        assertExactText(resumed, cutPrompt, 30);
        assertThat(resumed.workers()).containsExactly("worker-a", "worker-b", "worker-a");
        assertThat(resumed.retries()).extracting(Retry::lastSequence).containsExactly(10, 20);
        assertThat(resumed.retries()).allSatisfy(retry -> assertThat(retry.detail()).contains("UPSTREAM_FAILED"));

        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total", "reason", "stream_error")).isEqualTo(3);
        assertThat(cluster.leakReports()).isEmpty();
    }

    /**
     * One upstream chunk with more text than a TOKEN frame carries (a server that sends a whole answer at once) fails
     * that generation only: the worker does not send the frame, so the director's link to it, the other stream on
     * it and its place in rotation are untouched.
     */
    @Test
    void anUpstreamChunkOverTheTokenFrameLimitFailsOnlyItsOwnGeneration(TestInfo test) throws Exception {
        start(test, "20ms", "20ms");
        String background = "a stream on worker-a that must not notice the huge chunk";
        ResumingClient.Generation flowing = client.start(steered(background, 150, "worker-b"));
        await("worker-a streams tokens").atMost(GENERATION_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> flowing.tokens() >= 5 || flowing.done());
        Behaviour huge = new Behaviour(0, 20, 20, false, false, 0, 3);
        upstreams.a().behaviour(huge);
        upstreams.b().behaviour(huge);

        ResumingClient.Generation poisoned = client.run(steered("one chunk of this answer is huge", 20, "worker-b"),
                GENERATION_DEADLINE);

        assertThat(poisoned.failure()).isNull();
        assertThat(poisoned.error()).as("final error").isNotNull();
        assertThat(poisoned.error().code()).isEqualTo(ErrorCode.MIGRATION_LIMIT);
        assertThat(poisoned.error().message()).contains("INTERNAL model openai emitted a text of 100000 bytes")
                .contains("more than one TOKEN frame carries");
        assertThat(flowing.done()).as("the other stream was still running").isFalse();
        flowing.await(GENERATION_DEADLINE);
        assertExactText(flowing, background, 150);
        assertThat(flowing.retries()).as("the stream on worker-a never moved").isEmpty();
        PrometheusText director = cluster.director().metrics();
        assertThat(director.sum("connection_swap_swaps_total", "reason", "connection_lost")).isZero();
        assertThat(director.sum("connection_swap_workers", "state", "healthy")).as("no worker left rotation").isEqualTo(2);
        assertThat(cluster.leakReports()).isEmpty();
    }

    private ServiceProcess worker(String label) {
        return cluster.processes().stream().filter(p -> p.name().equals(label)).findFirst().orElseThrow();
    }

    /** The upstream's {@code host:port}, which callers must never see. */
    private static String address(GreedyLlmProcess upstream) {
        return java.net.URI.create(upstream.baseUrl()).getRawAuthority();
    }

    /** A completion of {@code model greedy-1}, steered away from {@code avoid} (null: any worker). */
    private static GenerationRequest steered(String prompt, int maxTokens, String avoid) {
        return new GenerationRequest(UUID.randomUUID().toString(), MODEL, prompt, null,
                SamplingParameters.maxTokens(maxTokens), 0, null, avoid, 0, null, false);
    }

    /** An ASCII prompt of {@code bytes} bytes. */
    private static String prompt(int bytes) {
        StringBuilder text = new StringBuilder(bytes);
        for (int i = 0; text.length() < bytes; i++) {
            text.append("line ").append(i).append(" of a very long prompt. ");
        }
        return text.substring(0, bytes);
    }

    /** Ended normally with the text the upstream gives with no failure at all. */
    private static void assertExactText(ResumingClient.Generation generation, String prompt, int maxTokens) {
        assertThat(generation.failure()).as("client problem of %s", generation).isNull();
        assertThat(generation.error()).as("error of %s", generation).isNull();
        assertThat(generation.end()).as("END of %s", generation).isNotNull();
        assertThat(generation.end().lastSequence()).isEqualTo(maxTokens);
        assertThat(generation.end().finishReason()).isEqualTo("length");
        assertThat(generation.text()).as("text of %s", generation).isEqualTo(GreedyLlm.complete(prompt, maxTokens));
    }
}
