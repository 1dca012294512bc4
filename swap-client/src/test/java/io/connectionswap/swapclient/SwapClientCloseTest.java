package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.protocol.frame.ErrorCode;
import io.connectionswap.protocol.message.Connected;
import io.connectionswap.protocol.message.End;
import io.connectionswap.protocol.message.GenerationRequest;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.message.Token;
import io.connectionswap.testsupport.tls.RepositoryPki;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** SwapClient.close() and the generations it finds: each ends with one terminal signal, the right one. */
class SwapClientCloseTest {

    @AutoClose
    private SwapClient client;
    @AutoClose
    private FakeDirector director;

    /**
     * README: close() "gives every generation its CANCELLED at once, also one whose subscriber has events it has not
     * asked for yet". A generation whose stream already ended (END read) but whose subscriber has not yet asked for its
     * last events is no longer in the client's set of running generations: close() passed it by, and since no request()
     * can be served once the client's own loop is gone, that subscriber never got a terminal signal.
     */
    @Test
    void closeEndsAGenerationWhoseEndWasReadButNotYetDelivered() throws Exception {
        startOnADirectorThatAnswersOneTokenThenEnd();

        Recorder generation = new Recorder(1); // Assigned only: Token and Completed wait for the next request
        client.completion("stand-in", "p", SamplingParameters.maxTokens(1), GenerationOptions.WAIT_FOREVER)
                .subscribe(generation);
        await("assigned").atMost(Duration.ofSeconds(10)).until(() -> generation.events.size() == 1);
        await("the END was read: the generation left the running set").atMost(Duration.ofSeconds(10))
                .until(() -> client.activeGenerations() == 0);
        Flow.Subscription s = generation.subscription().get(5, TimeUnit.SECONDS);

        client.close();
        s.request(10); // after close: returns and does nothing (the loop is gone)

        await("a terminal signal after close()").atMost(Duration.ofSeconds(5)).until(generation.ended()::isDone);
        assertThat(generation.ended().get()).isInstanceOfSatisfying(GenerationException.class,
                failure -> assertThat(failure.code()).isEqualTo(ErrorCode.CANCELLED));
    }

    /**
     * SwapClient.generate: a generation "ends with GenerationEvent.Completed then onComplete, or onError". An
     * application that closes the client when it sees Completed (a command-line tool done with its one generation) got
     * Completed and then onError(CANCELLED): the generation had finished, its Completed was handed over, yet close()
     * still ended it.
     */
    @Test
    void closingTheClientOnCompletedStillEndsTheGenerationWithOnComplete() throws Exception {
        startOnADirectorThatAnswersOneTokenThenEnd();

        Recorder recorder = Recorder.requestingAll();
        client.completion("stand-in", "p", SamplingParameters.maxTokens(1), GenerationOptions.WAIT_FOREVER)
                .subscribe(new Flow.Subscriber<GenerationEvent>() {
                    @Override
                    public void onSubscribe(Flow.Subscription subscription) {
                        recorder.onSubscribe(subscription);
                    }

                    @Override
                    public void onNext(GenerationEvent event) {
                        recorder.onNext(event);
                        if (event instanceof GenerationEvent.Completed) {
                            client.close(); // done: the application's last use of the client
                        }
                    }

                    @Override
                    public void onError(Throwable failure) {
                        recorder.onError(failure);
                    }

                    @Override
                    public void onComplete() {
                        recorder.onComplete();
                    }
                });

        Throwable ended = recorder.ended().get(10, TimeUnit.SECONDS);
        assertThat(recorder.last()).isInstanceOf(GenerationEvent.Completed.class);
        assertThat(ended).as("after Completed the generation ends with onComplete (null here), not onError").isNull();
    }

    /** A director whose worker answers every generation with one token and its END; the client started on it. */
    private void startOnADirectorThatAnswersOneTokenThenEnd() throws Exception {
        director = new FakeDirector(RepositoryPki.certs());
        director.onMessage = (stream, message) -> {
            if (message instanceof GenerationRequest request) {
                stream.write(new Connected("worker-a", "conn-1", stream.streamId(), request.generationId(), 0,
                        "stand-in"));
                stream.write(new Token(1, "one"));
                stream.writeAndFlush(new End(request.generationId(), 1, "length", null));
            }
        };
        client = SwapClient.builder().directors(director.address())
                .certificates(RepositoryPki.certs().toString()).tokenStream(false)
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build().start();
    }
}
