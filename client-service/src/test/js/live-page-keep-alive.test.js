// The live page reads the gateway's chat stream with its own SSE parser (app.js, send()): the gateway's keep-alive
// comments (": keep-alive", CONNECTION_SWAP_GATEWAY_SSE_KEEPALIVE) in a silent stream must be skipped, not shown and
// not taken for a broken chunk.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { loadPage } = require('./harness');

const STATUS = { connected: true, director: '127.0.0.1:61000', directorId: 'd', workers: [] };
const chunk = (delta, finish) => 'data: ' + JSON.stringify({ object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish || null }], x_connection_swap: { worker: 'worker-a' } }) + '\n\n';

test('keep-alive comments in the stream are skipped and the text is shown exactly', async () => {
  const reads = [chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hello' }),
    ': keep-alive\n\n', ': keep', '-alive\n\n: keep-alive\n\n' + chunk({ content: ' world' }),
    chunk({}, 'length') + 'data: [DONE]\n\n'];
  const page = loadPage((url) => (url === '/v1/chat/completions' ? { status: 200, reads }
    : url === '/v1/models' ? { status: 200, body: { object: 'list', data: [] } } : { status: 200, body: STATUS }));
  await page.settle();
  await page.submit();
  const output = page.elements.output.children;
  assert.deepStrictEqual(output.map((el) => el.className), ['line'], 'tokens only: no error');
  assert.deepStrictEqual(output[0].children.map((el) => el.className), ['tok w0'], 'one worker\'s run, no swap');
  assert.strictEqual(page.elements.output.textContent, 'Hello world');
  assert.strictEqual(page.elements['stream-state'].textContent, 'done');
  assert.match(page.elements.stats.textContent, /^2 tokens, 0 swap\(s\).*finish_reason length$/);
});
