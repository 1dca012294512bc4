package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.connectionswap.systemtest.support.StubbedLivePage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * A benchmark, not a check: what one more token costs the live page as the answer grows, in headless Chromium
 * ({@link StubbedLivePage}: the page's own files, the chat stream fed by the test). It fills one answer to 1 000,
 * 10 000, 30 000 and 65 000 tokens (the page's maximum is 65 536), and at each depth feeds 100 tokens one at a time,
 * each in a read of its own, and times two things. {@code ms.per.token}: the page's handling of the read plus the
 * rendering of the next frame, from a requestAnimationFrame callback registered after the page's own to a task posted
 * there, which runs once that frame's style, layout, paint and commit are done. {@code read.to.frame}: the wall time
 * from the read to that task, the time until the token is on screen; it includes the wait for the frame (up to one
 * frame, 16.7 ms at 60 Hz) and any work the browser does between the read and the frame, which the first misses (a
 * page that changes the DOM as the read arrives: Chromium lays a long line out there too). Prints p50, p90 and max in
 * ms per token, for an answer in one line (no "\n", as the stand-in model writes) and for one with a "\n" every 40
 * tokens. Figures: README, The live page. Run:
 * <pre>./mvnw -o -B verify -pl system-tests -Dfuzz.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dit.test=LivePageLongAnswerBench -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 * Its name ends in neither Test nor IT, so the ordinary build does not run it.
 */
class LivePageLongAnswerBench {

    private static final int[] DEPTHS = {1_000, 10_000, 30_000, 65_000};
    private static final int SAMPLES = 100;

    // arguments: tokens already there, depth to fill to, samples, a "\n" every n tokens (0: none)
    private static final String GROW_AND_TIME = """
            const [from, to, samples, newlineEvery] = arguments;
            const done = arguments[arguments.length - 1];
            const s = window.liveStream;
            const words = [' stream', ' survives', ' the', ' crash', ' and', ' goes', ' on', ' where', ' it',
              ' stopped', ',', ' exactly'];
            const token = (i) => words[i % words.length] + (newlineEvery && i % newlineEvery === 0 ? '\\n' : '');
            const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
            const read = async (sse) => { const handled = s.nextRead(); s.push(sse); await handled; };
            (async () => {
              for (let i = from; i < to; i += 500) {
                let sse = '';
                for (let j = i; j < Math.min(to, i + 500); j++) { sse += s.chunk(token(j), 'worker-a'); }
                await read(sse);
                await frame();
              }
              const ms = [];
              const wall = [];
              for (let k = 0; k < samples; k++) {
                const started = performance.now();
                await read(s.chunk(token(to + k), 'worker-a'));
                const handling = performance.now() - started;
                const rendering = await new Promise((resolve) => requestAnimationFrame(() => {
                  const t = performance.now();
                  const after = new MessageChannel();
                  after.port1.onmessage = () => {
                    wall.push(performance.now() - started);
                    resolve(performance.now() - t);
                  };
                  after.port2.postMessage('');
                }));
                ms.push(handling + rendering);
              }
              done([ms, wall]);
            })().catch((e) => done(String(e)));
            """;

    @Test
    void msPerTokenAsTheAnswerGrows() throws Exception {
        for (int newlineEvery : new int[] {0, 40}) {
            try (StubbedLivePage page = StubbedLivePage.open(LivePageLongAnswerBench.class)) {
                page.browser().findElement(By.id("send")).click();
                int filled = 0;
                for (int depth : DEPTHS) {
                    Object result = page.browser().executeAsyncScript(GROW_AND_TIME, filled, depth, SAMPLES,
                            newlineEvery);
                    assertThat(result).as("the script's answer").isInstanceOf(List.class);
                    double[] ms = sorted(((List<?>) result).get(0));
                    double[] wall = sorted(((List<?>) result).get(1));
                    filled = depth + SAMPLES;
                    System.out.println(String.format(Locale.ROOT,
                            "live page: newline.every=%d tokens=%d samples=%d ms.per.token p50=%.2f p90=%.2f max=%.2f"
                                    + " read.to.frame p50=%.2f p90=%.2f max=%.2f",
                            newlineEvery, depth, ms.length, percentile(ms, 50), percentile(ms, 90), ms[ms.length - 1],
                            percentile(wall, 50), percentile(wall, 90), wall[wall.length - 1]));
                }
            }
        }
    }

    private static double[] sorted(Object numbers) {
        return ((List<?>) numbers).stream().mapToDouble(v -> ((Number) v).doubleValue()).sorted().toArray();
    }

    private static double percentile(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
