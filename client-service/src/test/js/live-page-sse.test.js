// The live page's SSE parser (app.js, send()): events end at a blank line ("\n\n"), wherever the socket cuts the
// stream. It walks each read with an index (one large read of many events costs time in proportion to its size);
// these cases check that it gives every event once and in order, however the bytes are cut.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { chunk, END, show } = require('./stream');


const TOKENS = ['Grüße', ' — ', '🚀', ' line\n', 'next', ': keep', ' data:', '\n\n', 'end'];
const STREAM = chunk(TOKENS[0], 'worker-a') + ': keep-alive\n\n' + TOKENS.slice(1, 5).map((t) => chunk(t, 'worker-a'))
  .join('') + chunk(TOKENS[5], 'worker-b', { from: 'worker-a', to: 'worker-b', reason: 'health', gap_ms: 3 })
  + TOKENS.slice(6).map((t) => chunk(t, 'worker-b')).join('') + END;

test('a stream cut in two at every byte gives every token once, in order', async () => {
  const bytes = new TextEncoder().encode(STREAM);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const page = await show([bytes.slice(0, cut), bytes.slice(cut)]);
    assert.strictEqual(page.elements.output.textContent.replace(/\u21c4[^)]*\)/, ''), TOKENS.join(''), 'cut ' + cut);
    assert.strictEqual(page.elements['stream-state'].textContent, 'done', 'cut ' + cut);
    assert.match(page.elements.stats.textContent, /^9 tokens, 1 swap\(s\)/, 'cut ' + cut);
  }
});

test('a stream read a byte at a time gives every token once, in order', async () => {
  const bytes = new TextEncoder().encode(STREAM);
  const page = await show([...bytes].map((b) => Uint8Array.of(b)));
  assert.strictEqual(page.elements.output.textContent.replace(/\u21c4[^)]*\)/, ''), TOKENS.join(''));
  assert.strictEqual(page.elements['stream-state'].textContent, 'done');
});

test('one read of 20 000 events gives all their tokens', async () => {
  const tokens = Array.from({ length: 20000 }, (_, i) => ' w' + i);
  const page = await show([tokens.map((t) => chunk(t, 'worker-a')).join('') + END]);
  assert.strictEqual(page.elements.output.textContent, tokens.join(''));
  assert.match(page.elements.stats.textContent, /^20000 tokens, 0 swap\(s\)/);
});
