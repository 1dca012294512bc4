// How the live page lays out a streamed answer (app.js, appendToken): a div.line per line of the text (a line ends
// after each "\n"), in it a span.tok per run of (up to 64) tokens from one worker, the swap mark where the generation
// moved.
// The layout keeps a token's cost from growing with the answer (LivePageLongAnswerBench, system-tests); these cases
// check that it still shows exactly what arrived, from whom. The same in a real browser: LivePageLongAnswerBrowserIT.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { chunk, END, show } = require('./stream');


/** What the output shows, element by element: lines of [class, worker or from>to, text]. */
function shown(output) {
  return output.children.map((line) => (line.className !== 'line' ? [line.className, line.textContent]
    : line.children.map((el) => [el.className, el.className === 'swap' ? el.dataset.from + '>' + el.dataset.to
      : el.dataset.worker + ' ' + el.title, el.textContent])));
}

test('a worker\'s tokens are one run per line, a swap mark between the workers, the text exact', async () => {
  const reads = [chunk('One', 'worker-a') + chunk(' two', 'worker-a'), chunk(' three\nfour', 'worker-a'),
    chunk(' five', 'worker-b', { from: 'worker-a', to: 'worker-b', reason: 'health', gap_ms: 612 }),
    chunk('\n\n', 'worker-b') + chunk('six', 'worker-b') + END];
  const page = await show(reads);
  assert.deepStrictEqual(shown(page.elements.output), [
    [['tok w0', 'worker-a from worker-a', 'One two three\n']],
    [['tok w0', 'worker-a from worker-a', 'four'], ['swap', 'worker-a>worker-b', '\u21c4 worker-a \u2192 worker-b '
      + '(health, 612 ms)'], ['tok w1', 'worker-b from worker-b', ' five\n']],
    [['tok w1', 'worker-b from worker-b', '\n']],
    [['tok w1', 'worker-b from worker-b', 'six']]]);
  assert.strictEqual(page.elements['stream-state'].textContent, 'done');
  assert.match(page.elements.stats.textContent, /^6 tokens, 1 swap\(s\)/);
});

test('a long answer keeps its exact text, its lines, and runs of one worker\'s tokens', async () => {
  const tokens = [];
  for (let i = 0; i < 5000; i++) { tokens.push((i % 97 === 96 ? '\n' : ' ') + 'w' + i); }
  const reads = [];
  for (let i = 0; i < tokens.length; i += 250) {
    reads.push(tokens.slice(i, i + 250).map((t) => chunk(t, 'worker-a')).join(''));
  }
  reads.push(END);
  const page = await show(reads);
  const output = page.elements.output;
  assert.strictEqual(output.textContent, tokens.join(''));
  const lines = output.children;
  assert.strictEqual(lines.length, tokens.join('').split('\n').length, 'a div.line per line of the text');
  for (const line of lines) { // 97 tokens a line: a run holds up to 64
    const runs = line.children.map((el) => el.className);
    assert.deepStrictEqual(runs, runs.length === 1 ? ['tok w0'] : ['tok w0', 'tok w0'], 'one or two runs a line');
    assert.ok(line.children.every((run) => run.children.length <= 64), 'a run of at most 64 tokens');
  }
});

test('an error after tokens comes after the last line, outside it', async () => {
  const reads = [chunk('Hello', 'worker-a'),
    'data: ' + JSON.stringify({ error: { code: 'no_worker', message: 'no worker could continue' } }) + '\n\n'];
  const page = await show(reads);
  assert.deepStrictEqual(page.elements.output.children.map((el) => el.className), ['line', 'error']);
  assert.strictEqual(page.elements.output.textContent, 'Hellono_worker: no worker could continue');
  assert.strictEqual(page.elements['stream-state'].textContent, 'failed');
});
