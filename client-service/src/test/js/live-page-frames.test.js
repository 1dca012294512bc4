// The live page shows the tokens once per animation frame (app.js): the tokens that arrive between two frames reach
// the DOM together in the next frame, a Text node per run of one worker's tokens instead of one per token, so a fast
// stream costs the browser DOM work per frame, not per token. A hidden tab renders no frames: its tokens go in on a
// timer, and all that is pending goes in when the tab is hidden; the end of the stream shows everything at once.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { chunk, END, pageStreaming } = require('./stream');


/** A stream whose reads are `reads`, then two the test gives later (`rest(text)` gives the next one), then the end. */
async function streaming(reads, hidden = false) {
  const later = [];
  const waiting = [0, 1].map(() => new Promise((resolve) => later.push(resolve)));
  const page = pageStreaming(() => ({ status: 200, reads: [...reads, ...waiting] }));
  await page.settle();
  if (hidden) { await page.setHidden(true); }
  await page.submit();
  return { page, rest: async (text) => { later.shift()(text); await page.settle(); } };
}

/** The Text nodes of each span.tok of each line: [worker, [texts]]. */
const textNodes = (output) => output.children.map((line) => line.children.map((el) => (el.className === 'swap'
  ? ['swap'] : [el.dataset.worker, el.children.map((node) => node.data)])));

test('the tokens that arrive between two frames reach the DOM in the next frame, one Text node a run', async () => {
  const { page, rest } = await streaming([chunk('One', 'worker-a') + chunk(' two', 'worker-a'),
    chunk(' three', 'worker-a'), chunk('\nfour', 'worker-a')]);
  const output = page.elements.output;
  assert.strictEqual(output.textContent, '', 'nothing in the DOM before the frame');
  assert.ok(page.framesPending() >= 1, 'a frame requested');
  await page.frame();
  assert.deepStrictEqual(textNodes(output), [[['worker-a', ['One two three\n']]], [['worker-a', ['four']]]]);
  assert.strictEqual(page.framesPending(), 0, 'no frame requested while nothing is pending');

  await rest(chunk(' five', 'worker-a') + chunk(' six', 'worker-b',
    { from: 'worker-a', to: 'worker-b', reason: 'health', gap_ms: 612 }) + chunk(' seven', 'worker-b'));
  assert.strictEqual(output.textContent, 'One two three\nfour', 'the last frame\'s text only, before the next');
  await page.frame();
  assert.deepStrictEqual(textNodes(output), [[['worker-a', ['One two three\n']]],
    [['worker-a', ['four', ' five']], ['swap'], ['worker-b', [' six seven']]]]);
  await rest('');
  assert.strictEqual(page.elements['stream-state'].textContent, 'ended', 'the stream ended without [DONE]');
});

test('the end of the stream shows what is pending at once, before it says done', async () => {
  const { page, rest } = await streaming([chunk('Hello', 'worker-a')]);
  await rest(chunk(' world', 'worker-a') + END);
  assert.strictEqual(page.elements.output.textContent, 'Hello world');
  assert.strictEqual(page.elements['stream-state'].textContent, 'done');
  assert.match(page.elements.stats.textContent, /^2 tokens, 0 swap\(s\)/);
});

test('a hidden tab renders no frames: its tokens go in on a timer, and all of them', async () => {
  const { page, rest } = await streaming([chunk('Hello', 'worker-a'), chunk(' there', 'worker-a')], true);
  await page.frame(); // no frame while hidden
  await page.tick(); // the timer the page set instead
  assert.strictEqual(page.elements.output.textContent, 'Hello there');
  await rest(chunk(' world', 'worker-a') + END);
  assert.strictEqual(page.elements.output.textContent, 'Hello there world');
});

test('a tab hidden while tokens wait for a frame shows them at once', async () => {
  const { page } = await streaming([chunk('Hello', 'worker-a'), chunk(' there', 'worker-a')]);
  assert.strictEqual(page.elements.output.textContent, '', 'waiting for the frame');
  await page.setHidden(true);
  assert.strictEqual(page.elements.output.textContent, 'Hello there', 'in at once: no frame comes while hidden');
});
