package io.connectionswap.director.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.quic.HostPort;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerSelectorTest {

    private final WorkerSelector selector = new WorkerSelector();

    @Test
    void picksTheLeastLoadedAndRoundRobinsAmongEquals() {
        WorkerEndpoint a = eligible("worker-a");
        WorkerEndpoint b = eligible("worker-b");
        WorkerEndpoint c = eligible("worker-c");
        a.streamStarted();
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            picks.add(selector.pick(List.of(a, b, c), null, null).label());
        }
        assertThat(picks).containsExactly("worker-b", "worker-c", "worker-b", "worker-c");
    }

    @Test
    void neverPicksTheFailedWorkerWhenAnotherIsEligible() {
        WorkerEndpoint a = eligible("worker-a");
        WorkerEndpoint b = eligible("worker-b");
        for (int i = 0; i < 4; i++) {
            assertThat(selector.pick(List.of(a, b), "worker-a", null)).isSameAs(b);
        }
    }

    @Test
    void fallsBackToTheAvoidedWorkerWhenItIsTheOnlyEligibleOne() {
        WorkerEndpoint a = eligible("worker-a");
        assertThat(selector.pick(List.of(a), "worker-a", null)).isSameAs(a);
    }

    @Test
    void skipsUnhealthyDrainingAndUnconnectedWorkers() {
        WorkerEndpoint unhealthy = eligible("worker-u");
        unhealthy.state(WorkerState.UNHEALTHY, "health");
        WorkerEndpoint draining = eligible("worker-d");
        draining.state(WorkerState.DRAINING, "drain");
        WorkerEndpoint unconnected = worker("worker-n");
        unconnected.state(WorkerState.HEALTHY, "test");
        assertThat(selector.pick(List.of(unhealthy, draining, unconnected), null, null)).isNull();
    }

    @Test
    void onlyWorkersServingTheRequestedModelAreCandidates() {
        WorkerEndpoint standIn = eligible("worker-a", List.of("stand-in"));
        WorkerEndpoint llama = eligible("worker-b", List.of("llama-3-8b"));
        WorkerEndpoint unknown = eligible("worker-c", List.of());
        for (int i = 0; i < 6; i++) {
            assertThat(selector.pick(List.of(standIn, llama), null, "llama-3-8b")).isSameAs(llama);
            assertThat(selector.pick(List.of(standIn, llama), null, "stand-in")).isSameAs(standIn);
        }
        assertThat(selector.pick(List.of(standIn, llama), null, "gpt-9")).isNull();
        assertThat(selector.pick(List.of(standIn, unknown), null, "gpt-9"))
                .as("a worker that never told its models may serve any").isSameAs(unknown);
        assertThat(selector.pick(List.of(standIn), "worker-a", "stand-in"))
                .as("the worker to avoid is still picked when it is the only one serving the model").isSameAs(standIn);
    }

    /**
     * A worker that never told its models (found through DNS, not registered yet: every worker for a few seconds after
     * a director restart, or for good with CONNECTION_SWAP_WORKER_REGISTER=false) may serve any model, but it is only a
     * guess: when a healthy worker says it serves the requested model, the guess must not take the request. Otherwise
     * half the requests for an upstream model go to a worker that may serve another one (the stand-in), which answers
     * MODEL_NOT_FOUND, a final error for the client although a worker serving the model was free.
     */
    @Test
    void aWorkerThatSaysItServesTheModelIsPreferredOverOneThatNeverSaid() {
        WorkerEndpoint llama = eligible("worker-llama", List.of("llama-3-8b"));
        WorkerEndpoint unknown = eligible("10.0.0.7:62001", List.of());
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            picks.add(selector.pick(List.of(llama, unknown), null, "llama-3-8b").label());
        }
        assertThat(picks).containsOnly("worker-llama");
    }

    @Test
    void aWorkerWithoutStreamCreditIsPickedOnlyWhenNoOtherHasRoom() {
        WorkerEndpoint full = eligible("worker-a");
        WorkerEndpoint roomy = eligible("worker-b");
        roomy.streamStarted(); // busier, yet the one with room
        WorkerSelector selector = new WorkerSelector(worker -> worker != full, () -> { });

        for (int i = 0; i < 4; i++) {
            assertThat(selector.pick(List.of(full, roomy), null, null)).isSameAs(roomy);
        }
        assertThat(selector.pick(List.of(full, roomy), "worker-b", null))
                .as("room comes before avoiding the worker that failed the generation").isSameAs(roomy);
        assertThat(selector.pick(List.of(full), null, null))
                .as("none has room: the full one, whose open fails at once and the client asks again").isSameAs(full);
    }

    @Test
    void aWorkerServingTheModelWithoutStreamCreditComesBeforeOneThatNeverSaidItsModels() {
        WorkerEndpoint llama = eligible("worker-llama", List.of("llama-3-8b"));
        WorkerEndpoint unknown = eligible("10.0.0.7:62001", List.of());
        WorkerSelector selector = new WorkerSelector(worker -> worker != llama, () -> { });

        // the guess may answer MODEL_NOT_FOUND, a final error; the full worker's refusal is one the client retries
        assertThat(selector.pick(List.of(llama, unknown), null, "llama-3-8b")).isSameAs(llama);
    }

    private static WorkerEndpoint eligible(String label) {
        return eligible(label, List.of("stand-in"));
    }

    private static WorkerEndpoint eligible(String label, List<String> models) {
        WorkerEndpoint worker = worker(label, models);
        worker.state(WorkerState.HEALTHY, "test");
        worker.link(new FakeWorkerConnector.FakeConnection(reason -> { }));
        return worker;
    }

    private static WorkerEndpoint worker(String label) {
        return worker(label, List.of("stand-in"));
    }

    private static WorkerEndpoint worker(String label, List<String> models) {
        return new WorkerEndpoint(label, new HostPort("127.0.0.1", label.hashCode() & 0x7fff),
                URI.create("http://127.0.0.1:1/actuator/health"), Duration.ofMillis(50), "i-" + label, "127.0.0.1",
                WorkerSource.REGISTRATION, models);
    }
}
