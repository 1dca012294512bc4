package io.connectionswap.swapclient;

import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * SwapClient.generate: a generation "ends with GenerationEvent.Completed then onComplete, or onError". An application
 * that closes the client when it sees Completed (a command-line tool done with its one generation) got Completed and
 * then onError(CANCELLED): the generation had finished, its Completed was handed over, yet close() still ended it.
 */
class SwapClientCloseOnCompletedTest {

    @AutoClose
    private SwapClient client;
    @AutoClose
    private FakeDirector director;

    @Test
    void closingTheClientOnCompletedStillEndsTheGenerationWithOnComplete() throws Exception {
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
}
