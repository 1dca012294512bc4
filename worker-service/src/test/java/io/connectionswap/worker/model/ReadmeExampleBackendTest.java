package io.connectionswap.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.protocol.message.FinishReason;
import io.connectionswap.protocol.message.SamplingParameters;
import io.connectionswap.protocol.model.GenerationContext;
import io.connectionswap.protocol.model.ModelBackend;
import io.connectionswap.protocol.model.ModelEvent;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

/** The README's example backend ("Model backends"), verbatim, keeps its promises: demand, resume, finish. */
class ReadmeExampleBackendTest {

    // ---- as in the README ----
    public static final class EchoBackend implements ModelBackend {
        public String name() { return "echo"; }
        public List<String> models() { return List.of("echo"); }

        public Flow.Publisher<ModelEvent> generate(GenerationContext context) {
            String[] words = context.prompt().trim().split("\\s+");
            return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
                int next = context.resumeAfter();        // a resume continues after the delivered tokens
                long demand;
                boolean emitting, done;

                public synchronized void request(long n) {
                    demand += n;
                    if (emitting) return;                // called again from onNext: the loop below goes on
                    emitting = true;
                    for (; demand > 0 && !done; demand--) {
                        if (next < context.sampling().maxTokens()) {
                            subscriber.onNext(new ModelEvent.Text(" " + words[next++ % words.length]));
                        } else {
                            done = true;
                            subscriber.onNext(new ModelEvent.Finished(FinishReason.LENGTH, null));
                            subscriber.onComplete();
                        }
                    }
                    emitting = false;
                }

                public synchronized void cancel() { done = true; }
            });
        }
    }
    // ---- end of the README's text ----

    @Test
    void emitsOnlyWhatWasAskedForAndResumesAfterTheDeliveredTokens() {
        EchoBackend backend = new EchoBackend();
        RecordingSubscriber events = new RecordingSubscriber(2);
        backend.generate(context(0)).subscribe(events);
        assertThat(events.texts()).containsExactly(" one", " two");

        events.request(10);
        assertThat(events.text()).isEqualTo(" one two three one two");
        assertThat(events.finished().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(events.completed()).isTrue();

        RecordingSubscriber resumed = RecordingSubscriber.unbounded();
        backend.generate(context(3)).subscribe(resumed);
        assertThat(resumed.text()).isEqualTo(" one two");
    }

    @Test
    void aSubscriberThatAsksAgainFromOnNextGetsEveryTokenWithoutRecursion() {
        EchoBackend backend = new EchoBackend();
        java.util.List<ModelEvent> seen = new java.util.ArrayList<>();
        backend.generate(new GenerationContext("g", null, "a b", null, SamplingParameters.maxTokens(100_000), 0, "", null))
                .subscribe(new Flow.Subscriber<>() {
                    private Flow.Subscription subscription;

                    public void onSubscribe(Flow.Subscription s) {
                        subscription = s;
                        s.request(1);
                    }

                    public void onNext(ModelEvent event) {
                        seen.add(event);
                        subscription.request(1); // the worker's handler tops its window up the same way
                    }

                    public void onError(Throwable t) {
                    }

                    public void onComplete() {
                    }
                });
        assertThat(seen).hasSize(100_001);
    }

    private static GenerationContext context(int resumeAfter) {
        return new GenerationContext("g", "echo", "one two three", null, SamplingParameters.maxTokens(5), resumeAfter,
                resumeAfter == 0 ? "" : " one two three", null);
    }
}
