package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.systemtest.support.DumpLogsOnFailure;
import io.connectionswap.systemtest.support.GreedyUpstreams;
import io.connectionswap.systemtest.support.ProcessCluster;
import io.connectionswap.systemtest.support.ResumingClient;
import io.connectionswap.testsupport.llm.Behaviour;
import io.connectionswap.testsupport.llm.GreedyLlm;
import io.connectionswap.testsupport.process.ServiceProcess;
import io.connectionswap.testsupport.prometheus.PrometheusText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real model sets its own pace: a first token after seconds, then uneven gaps. Workers in front of greedy
 * OpenAI-compatible server processes register no fixed token interval, so the director judges them by their link
 * heartbeat (the process is alive) and by generous per-stream allowances, never by a token interval. Both directions
 * of that design are checked with the director's DEFAULT stall settings (only ProcessCluster's stall minimum for busy
 * test machines): a slow first token and jittered gaps cause no swap while the worker lives, and a worker that hangs
 * (SIGSTOP) is still found as a stall, before its link's heartbeat timeout (1 s) would call it a lost connection.
 */
@ExtendWith(DumpLogsOnFailure.class)
class RealModelPacingIT {

    private static final String MODEL = "greedy-1";
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @AutoClose
    private ProcessCluster cluster;
    private GreedyUpstreams upstreams;

    private void start(TestInfo test, String... directorEnv) throws Exception {
        cluster = new ProcessCluster(test.getTestMethod().orElseThrow().getName(), "50ms");
        upstreams = cluster.startGreedyUpstreams(MODEL, "10ms", "10ms");
        cluster.startDirector(directorEnv);
        cluster.startTwoWorkersOn(upstreams);
    }

    @Test
    void aSlowFirstTokenAndUnevenGapsNeverCauseASwap(TestInfo test) throws Exception {
        start(test);
        Behaviour slowAndUneven = new Behaviour(3000, 10, 400, false, false, 0);
        upstreams.a().behaviour(slowAndUneven);
        upstreams.b().behaviour(slowAndUneven);
        ResumingClient client = cluster.connectResumingClient();

        List<ResumingClient.Generation> generations = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String prompt = "A model that thinks for three seconds, then writes unevenly, number " + i;
            prompts.add(prompt);
            generations.add(client.start(request(prompt, 30, i % 2 == 0 ? "worker-b" : "worker-a")));
        }
        for (int i = 0; i < generations.size(); i++) {
            ResumingClient.Generation generation = generations.get(i).await(DEADLINE);
            assertThat(generation.failure()).as("client problem of %s", generation).isNull();
            assertThat(generation.error()).as("error of %s", generation).isNull();
            assertThat(generation.retries()).as("swaps of %s", generation).isEmpty();
            assertThat(generation.workers()).hasSize(1);
            assertThat(generation.text()).isEqualTo(GreedyLlm.complete(prompts.get(i), 30));
        }
        PrometheusText director = cluster.director().metrics();
        assertThat(director.sum("connection_swap_swaps_total")).as("connection_swap_swaps_total").isZero();
        assertThat(director.sum("connection_swap_workers", "state", "healthy")).as("no worker blamed").isEqualTo(2);
    }

    @Test
    void aHungSelfPacedWorkerIsFoundAsAStallBeforeItsLinkTimesOut(TestInfo test) throws Exception {
        // health polls far apart: two poll timeouts of the stopped worker would otherwise race the stall watch
        // (seen: "health poll timeout (2 in a row)" won by a few ms), and this test is about the stall watch
        start(test, ProcessCluster.QUIET_HEALTH_POLLS);
        upstreams.a().behaviour(new Behaviour(0, 20, 20, false, false, 0));
        upstreams.b().behaviour(new Behaviour(0, 20, 20, false, false, 0));
        ResumingClient client = cluster.connectResumingClient();
        String prompt = "The worker that serves this stream stops answering at all";
        ResumingClient.Generation generation = client.start(request(prompt, 150, "worker-b"));
        await("worker-a streams tokens").atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> generation.tokens() >= 20 || generation.done());
        assertThat(generation.currentWorker()).isEqualTo("worker-a");
        ServiceProcess workerA = cluster.processes().stream().filter(p -> p.name().equals("worker-a")).findFirst()
                .orElseThrow();
        workerA.freeze();
        try {
            generation.await(DEADLINE);
        } finally {
            workerA.resume();
        }

        assertThat(generation.error()).as("error of %s", generation).isNull();
        assertThat(generation.text()).isEqualTo(GreedyLlm.complete(prompt, 150));
        assertThat(generation.workers()).containsExactly("worker-a", "worker-b");
        assertThat(generation.retries()).singleElement().satisfies(retry -> {
            assertThat(retry.reason()).as("found as a hang, not as a lost link").isEqualTo("stall");
            assertThat(retry.failedWorker()).isEqualTo("worker-a");
        });
        assertThat(cluster.director().metrics().sum("connection_swap_swaps_total", "reason", "stall")).isEqualTo(1);
    }

    private static GenerationRequest request(String prompt, int maxTokens, String avoid) {
        return new GenerationRequest(UUID.randomUUID().toString(), MODEL, prompt, null,
                SamplingParameters.maxTokens(maxTokens), 0, null, avoid, 0, null, false);
    }
}
