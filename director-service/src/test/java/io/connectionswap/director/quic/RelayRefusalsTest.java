package io.connectionswap.director.quic;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;

import io.connectionswap.director.registry.PollResult;
import io.connectionswap.director.registry.WorkerEndpoint;
import io.connectionswap.director.relay.Relay;
import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.StreamError;
import io.connectionswap.protocol.message.WorkerRegistration;
import io.connectionswap.testsupport.log.CapturedLogs;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.quic.QuicChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Streams the real {@link Relay} refuses ({@link RelayFixture}): the error the client gets, and how the refusals are
 * logged (one WARN per kind, unknown model or outage, the repeats at DEBUG with a reminder).
 */
class RelayRefusalsTest extends RelayFixture {

    /**
     * A director that just restarted, in a fleet with two models: the worker serving "other" has registered again, the
     * one serving "stand-in" not yet (workers come back in any order, within their registration backoff). A client
     * resumes its stand-in generation here after the restart (rule 6: avoidWorker absent) with two tokens delivered.
     * Relay.open answered with a final MODEL_NOT_FOUND because the registry was not empty and no known worker served
     * the model, so the generation was lost mid-stream; with no worker registered at all it got NO_HEALTHY_WORKER and
     * waited (the chaos soak's 172 lost generations, mended only for an empty registry). It must wait here too: the
     * model was served a moment ago, its worker is simply not back yet.
     */
    @Test
    void aResumeWhileTheModelsWorkerIsNotBackYetWaitsInsteadOfFailingWithModelNotFound() {
        WorkerEndpoint other = registry.register(new WorkerRegistration("worker-x", "127.0.0.1:62009",
                "http://127.0.0.1:8081/actuator/health", 50, "i-x", List.of("other")));
        loop.runPendingTasks();
        registry.pollCompleted(other, PollResult.answered("UP", 200));
        loop.runPendingTasks();
        EmbeddedQuicStream client = clientStream();

        relay.open(client, "conn-1", new GenerationRequest("g-1", "stand-in", "p", null,
                GenerationRequest.completion("g-1", "p", 5).sampling(), 2, "ab", null, 1, null, false));
        loop.runPendingTasks();

        List<ErrorCode> codes = client.errorCodesSent();
        assertThat(codes).as("the client waits and resumes once the stand-in worker is back")
                .containsExactly(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(1);
    }

    /**
     * A client (or a gateway user behind it) that sent request after request the director refuses as the request's
     * fault (maxTokens above the limit, a model no worker serves) got a WARN line per request: as many as it could
     * send. Now the first of a connection's refusals of a kind is a WARN and its repeats DEBUG, with a WARN reminder
     * counting them; every request is still refused with its error, and another connection's first is a WARN.
     */
    @Test
    void aConnectionRepeatingARefusedRequestGetsOneWarnPerKindNotOnePerStream() {
        healthyWorker("worker-a");
        QuicChannel hostile = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 10; i++) {
                codes.addAll(refused(hostile, 4L * i, GenerationRequest.completion("g-" + i, "p", 1_000_000)));
                codes.addAll(refused(hostile, 4L * i + 1, new GenerationRequest("m-" + i, "no-such-model", "p", null,
                        GenerationRequest.completion("m-" + i, "p", 5).sampling(), 0, null, null, 0, null, false)));
            }
            codes.addAll(refused(PeerConnections.connection("client"), 4,
                    GenerationRequest.completion("g-other", "p", 1_000_000)));

            assertThat(logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList())
                    .as("WARN lines for 20 refused requests of one connection and 1 of another")
                    .hasSize(3);
        }
        assertThat(codes).filteredOn(code -> code == ErrorCode.BAD_REQUEST).hasSize(11);
        assertThat(codes).filteredOn(code -> code == ErrorCode.MODEL_NOT_FOUND).hasSize(10);
    }

    /**
     * A worker's ERROR that is the request's fault (here RESUME_MISMATCH: a resume whose delivered text is not the
     * model's; BAD_REQUEST, UPSTREAM_REJECTED alike) is relayed to the client as final, and RelaySession logged it at
     * WARN ("worker refused the request; ending the client's stream with its error") once per stream: a client sending
     * request after request that workers refuse (a resume with made-up delivered text costs it nothing) wrote a WARN
     * per request, as fast as it could open streams, which 8a21515 had stopped for the refusals the director decides
     * itself. Now one WARN per connection and code, repeats DEBUG with a counting reminder, each client still ending
     * with the worker's error. Found by the review helper.
     */
    @Test
    void aConnectionWhoseRequestsWorkersRefuseGetsOneWarnNotOnePerStream() {
        healthyWorker("worker-a");
        try (CapturedLogs logs = CapturedLogs.of(io.connectionswap.director.relay.RelaySession.class)) {
            for (int i = 0; i < 20; i++) {
                relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-" + i, "p", 3));
                fromWorker(workerStream("worker-a", i), new StreamError(ErrorCode.RESUME_MISMATCH,
                        "the delivered text is not the model's"));
            }

            assertThat(warnings(logs, "worker refused the request; ending the client's stream with its error"))
                    .as("WARN lines for 20 requests of one client connection refused by the worker").hasSize(1);
        }
        assertThat(meterRegistry.get("connection.swap.request.errors").tag("code", "RESUME_MISMATCH").counter()
                .count()).as("every client got the worker's error as final").isEqualTo(20);
        assertThat(relay.activeSessions()).isZero();
    }

    /**
     * The refusals of a connection were throttled by kind only: after one "no worker serves the model" WARN, every
     * refusal for another unknown model on that connection was DEBUG for 5 minutes, and the gateway carries all its
     * users on one connection, so the second user's mistyped model went unseen. Now each model name is a WARN of its
     * own on a connection (its repeats DEBUG), for the first 16 names; a client sending a new name each time then gets
     * one WARN more for all the others, neither a line nor memory per name.
     */
    @Test
    void eachUnknownModelOfAConnectionGetsItsOwnWarnUpToABound() {
        healthyWorker("worker-a");
        QuicChannel gateway = PeerConnections.connection("client");
        List<ErrorCode> codes = new ArrayList<>();
        List<String> warned;
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int round = 0; round < 2; round++) {
                for (int model = 0; model < 16; model++) {
                    codes.addAll(refused(gateway, 8L * model + round, unknownModel("model-" + model)));
                }
            }
            for (int random = 0; random < 100; random++) {
                codes.addAll(refused(gateway, 1000L + 4 * random, unknownModel("random-" + random)));
            }
            warned = logs.events().stream().filter(event -> event.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).filter(line -> line.endsWith("no worker serves the model"))
                    .map(line -> line.replaceAll(".*model=(\\S+).*", "$1")).toList();
        }
        List<String> expected = new ArrayList<>();
        for (int model = 0; model < 16; model++) {
            expected.add("model-" + model);
        }
        expected.add("random-0"); // the first past the bound: one WARN for every other name
        assertThat(warned).as("models named in WARN lines").containsExactlyElementsOf(expected);
        assertThat(codes).hasSize(132).containsOnly(ErrorCode.MODEL_NOT_FOUND);
    }

    private static GenerationRequest unknownModel(String model) {
        return new GenerationRequest("g-" + model, model, "p", null,
                GenerationRequest.completion("g", "p", 5).sampling(), 0, null, null, 0, null, false);
    }

    /**
     * While no worker was healthy every client backed off and asked again, and each refusal was a WARN line "no healthy
     * worker for stream": thousands a minute in an outage of a busy director. Now the first refusal of an outage is a
     * WARN, the others DEBUG with a WARN reminder every 10 s counting them, and the outage ends at the next stream
     * assigned (the first refusal after it is a WARN again); every refusal is still counted and answered.
     */
    @Test
    void anOutageLogsItsFirstRefusalAtWarnThenAReminderNotALinePerStream() {
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 20; i++) {
                codes.addAll(refused(PeerConnections.connection("client"), 4L * i,
                        GenerationRequest.completion("g-" + i, "p", 5)));
            }
            now += TimeUnit.SECONDS.toNanos(11);
            codes.addAll(refused(PeerConnections.connection("client"), 80, GenerationRequest.completion("g-r", "p", 5)));
            assertThat(warnings(logs, "no healthy worker for stream")).as("the first refusal and one reminder")
                    .containsExactly("no healthy worker for stream", "no healthy worker for stream (repeats=20)");

            WorkerEndpoint worker = healthyWorker("worker-a");
            relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-ok", "p", 5)); // the outage ends
            loop.runPendingTasks();
            registry.pollCompleted(worker, PollResult.answered("DOWN", 503));
            registry.pollCompleted(worker, PollResult.answered("DOWN", 503));
            loop.runPendingTasks();
            codes.addAll(refused(PeerConnections.connection("client"), 84, GenerationRequest.completion("g-2", "p", 5)));
            assertThat(warnings(logs, "no healthy worker for stream")).as("the next outage's first refusal")
                    .hasSize(3);
        }
        assertThat(codes).hasSize(22).containsOnly(ErrorCode.NO_HEALTHY_WORKER);
        assertThat(meterRegistry.get("connection.swap.no.healthy.worker").counter().count()).isEqualTo(22);
    }

    /**
     * The outage throttle of "no healthy worker for stream" ended at the next stream assigned on the loop, whatever
     * its model. In the common partial outage (every worker of one model down, another model served) each refusal that
     * followed an assignment of the other model was a first refusal again, a WARN: as many WARN lines as before the
     * throttle. An outage is now a model's (one a worker registered), or every worker's. Found by the review helper.
     */
    @Test
    void anOutageOfOneModelStaysOneWarnWhileAnotherModelIsServed() {
        healthyWorker("worker-a"); // serves stand-in
        WorkerEndpoint down = registry.register(new WorkerRegistration("worker-b", "127.0.0.1:62009",
                "http://127.0.0.1:8081/actuator/health", 50, "i-b", List.of("other")));
        loop.runPendingTasks(); // never healthy: the model "other" has no healthy worker
        assertThat(down.state().name()).isNotEqualTo("HEALTHY");
        List<ErrorCode> codes = new ArrayList<>();
        try (CapturedLogs logs = CapturedLogs.of(Relay.class)) {
            for (int i = 0; i < 10; i++) {
                codes.addAll(refused(PeerConnections.connection("client"), 8L * i, new GenerationRequest("o-" + i,
                        "other", "p", null, GenerationRequest.completion("o-" + i, "p", 5).sampling(), 0, null, null,
                        0, null, false)));
                relay.open(clientStream(), "conn-1", GenerationRequest.completion("g-" + i, "p", 5)); // stand-in
                loop.runPendingTasks();
            }
            assertThat(codes).hasSize(10).containsOnly(ErrorCode.NO_HEALTHY_WORKER);
            assertThat(warnings(logs, "no healthy worker for stream"))
                    .as("one outage (model other, 10 refusals within a second): its first refusal at WARN")
                    .hasSize(1);
        }
    }

    /** Opens {@code request} on a new stream of {@code connection}; returns the ERROR codes the client got. */
    private List<ErrorCode> refused(QuicChannel connection, long id, GenerationRequest request) {
        EmbeddedQuicStream stream = new EmbeddedQuicStream(connection, id, UnpooledByteBufAllocator.DEFAULT);
        clientStreams.add(stream);
        relay.open(stream, ConnectionIds.of(stream), request);
        loop.runPendingTasks();
        return stream.errorCodesSent();
    }
}
