package io.connectionswap.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.connectionswap.systemtest.support.StubbedLivePage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * A long answer on the live page in headless Chromium, the stream fed by the test ({@link StubbedLivePage}): 4 000
 * tokens, some alone in a read and some many to a read, with a swap from worker-a to worker-b after token 2 500. The
 * page shows the exact text, each worker's tokens underlined in that worker's colour (the two colours differ), the
 * worker's name on hover, the swap mark with from and to between the two workers' tokens, and the counts.
 */
class LivePageLongAnswerBrowserIT {

    private static final int TOKENS = 4_000;
    private static final int SWAP_AFTER = 2_500;

    // feeds the answer: reads of 1, 7 and 300 chunks in turn, the swap riding on token SWAP_AFTER + 1
    private static final String FEED = """
            const [tokens, swapAfter] = arguments;
            const done = arguments[arguments.length - 1];
            const s = window.liveStream;
            const words = [' stream', ' survives', ' the', ' crash', '\\n', ' and', ' goes', ' on', ' — ', ' 🚀'];
            const read = async (sse) => { const handled = s.nextRead(); s.push(sse); await handled; };
            (async () => {
              let text = '';
              const sizes = [1, 7, 300];
              for (let i = 1, r = 0; i <= tokens; r++) {
                let sse = '';
                for (let n = 0; n < sizes[r % sizes.length] && i <= tokens; n++, i++) {
                  const token = words[(i * 7) % words.length] + i;
                  text += token;
                  sse += s.chunk(token, i <= swapAfter ? 'worker-a' : 'worker-b', i === swapAfter + 1
                    ? { from: 'worker-a', to: 'worker-b', reason: 'health', gap_ms: 612 } : null);
                }
                await read(sse);
              }
              s.push(s.finish());
              s.end();
              done(text);
            })().catch((e) => done('failed: ' + e));
            """;

    // feeds lines as a model writes them (a blank line, a line break inside a token, the answer ending in one), then
    // puts the same text into a copy of #output as one text, and answers both heights and the text shown
    private static final String LINES_AND_ONE_BLOCK = """
            const done = arguments[arguments.length - 1];
            const s = window.liveStream;
            const tokens = ['First', ' line', '\\n', '\\n', 'after a blank', ' line.\\nAnd', ' a long'];
            for (let i = 0; i < 200; i++) { tokens.push(' wrapping' + i); }
            tokens.push('\\n', '- a list', '\\n- item\\n', '\\n');
            const read = async (sse) => { const handled = s.nextRead(); s.push(sse); await handled; };
            (async () => {
              for (const token of tokens) { await read(s.chunk(token, 'worker-a')); }
              s.push(s.finish());
              s.end();
              await new Promise((resolve) => setTimeout(resolve, 0));
              const output = document.getElementById('output');
              const oneBlock = output.cloneNode(false);
              oneBlock.textContent = tokens.join('');
              output.after(oneBlock);
              const heights = [output.getBoundingClientRect().height, oneBlock.getBoundingClientRect().height];
              oneBlock.remove();
              done({ text: output.textContent, expected: tokens.join(''), shown: heights[0], oneBlock: heights[1] });
            })().catch((e) => done({ failed: String(e) }));
            """;

    @AutoClose
    private StubbedLivePage page;

    @Test
    void theAnswersLinesLookAsTheSameTextInOneBlockWould() throws Exception {
        page = StubbedLivePage.open(LivePageLongAnswerBrowserIT.class);
        page.browser().findElement(By.id("send")).click();
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) page.browser().executeAsyncScript(LINES_AND_ONE_BLOCK);
        assertThat(result).doesNotContainKey("failed");
        assertThat(result.get("text")).as("the text shown").isEqualTo(result.get("expected"));
        assertThat(((Number) result.get("shown")).doubleValue()).as("the answer's height, as one block's (%s)", result)
                .isEqualTo(((Number) result.get("oneBlock")).doubleValue());
    }

    @Test
    void aLongAnswerWithASwapMidwayShowsItsExactTextItsWorkersColoursAndTheSwapMark() throws Exception {
        page = StubbedLivePage.open(LivePageLongAnswerBrowserIT.class);
        page.browser().findElement(By.id("send")).click();
        String fed = (String) page.browser().executeAsyncScript(FEED, TOKENS, SWAP_AFTER);
        assertThat(fed).doesNotStartWith("failed");
        await("the answer is complete").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> page.browser().findElement(By.id("stream-state")).getText().equals("done"));

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> shown = (List<Map<String, Object>>) page.browser().executeScript("""
                return [...document.querySelectorAll('#output .tok, #output .swap')].map((el) => ({
                  cls: el.className, text: el.textContent, worker: el.dataset.worker, title: el.title,
                  from: el.dataset.from, to: el.dataset.to, colour: getComputedStyle(el).borderBottomColor }));
                """);
        StringBuilder text = new StringBuilder();
        StringBuilder order = new StringBuilder(); // a: worker-a's text, b: worker-b's, S: the swap mark
        String colourA = null;
        String colourB = null;
        for (Map<String, Object> element : shown) {
            String cls = (String) element.get("cls");
            if (cls.equals("swap")) {
                assertThat(element).containsEntry("from", "worker-a").containsEntry("to", "worker-b");
                assertThat((String) element.get("text")).isEqualTo("\u21c4 worker-a \u2192 worker-b (health, 612 ms)");
                assertThat(text.toString()).as("the text before the swap mark").endsWith(String.valueOf(SWAP_AFTER));
                order.append('S');
                continue;
            }
            assertThat(cls).as("an element of the answer").startsWith("tok ");
            String worker = (String) element.get("worker");
            assertThat(element.get("title")).isEqualTo("from " + worker);
            String colour = (String) element.get("colour");
            if (worker.equals("worker-a")) {
                assertThat(colourA == null || colourA.equals(colour)).as("worker-a's colour, one throughout").isTrue();
                colourA = colour;
                order.append('a');
            } else {
                assertThat(worker).isEqualTo("worker-b");
                assertThat(colourB == null || colourB.equals(colour)).as("worker-b's colour, one throughout").isTrue();
                colourB = colour;
                order.append('b');
            }
            text.append((String) element.get("text"));
        }
        assertThat(text.toString()).as("the text the page shows").isEqualTo(fed);
        assertThat(order.toString()).as("worker-a's tokens, the swap mark, worker-b's").matches("a+Sb+");
        assertThat(colourA).as("worker-a's underline").isNotEqualTo(colourB).isNotEqualTo("rgba(0, 0, 0, 0)");
        assertThat(colourB).as("worker-b's underline").isNotEqualTo("rgba(0, 0, 0, 0)");
        assertThat(page.browser().findElement(By.id("stats")).getText()).startsWith(TOKENS + " tokens, 1 swap(s)");
    }
}
