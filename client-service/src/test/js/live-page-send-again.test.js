// A send while an answer streams (app.js, send()) aborts the running stream and starts a new one. The aborted send
// ends later, when its abort settles (its fetch or read rejects with an AbortError, after the new send has started):
// from then on the page is the new send's, so the old one must leave the state, the buttons, the answer and what
// waits for the next frame alone.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { loadPage } = require('./harness');
const { STATUS, chunk, END } = require('./stream');


/**
 * A gateway whose every chat stream the test drives: `streams[i].respond()` gives the i-th request's response (200)
 * and `streams[i].read(text)` its next read; a stream never ends by itself. `hold` (request numbers): those wait for
 * respond() (a gateway still waiting for a worker); the others answer at once.
 */
async function page(hold = []) {
  const streams = [];
  const p = loadPage((url) => {
    if (url === '/v1/models') { return { status: 200, body: { object: 'list', data: [] } }; }
    if (url !== '/v1/chat/completions') { return { status: 200, body: STATUS }; }
    const gives = [];
    const reads = Array.from({ length: 20 }, () => new Promise((resolve) => gives.push(resolve)));
    let respond;
    const response = new Promise((resolve) => { respond = () => resolve({ status: 200, reads }); });
    streams.push({
      respond: async () => { respond(); await p.settle(); },
      read: async (text) => { gives.shift()(text); await p.settle(); }
    });
    if (!hold.includes(streams.length - 1)) { respond(); }
    return response;
  });
  await p.settle();
  return { p, streams, state: () => p.elements['stream-state'].textContent, text: () => p.elements.output.textContent };
}

test('a send while one streams: the state, the buttons and the answer are the new send\'s', async () => {
  const { p, streams, state, text } = await page([1]);
  await p.submit();
  await streams[0].read(chunk('Old answer', 'worker-a'));
  await p.frame();
  assert.strictEqual(text(), 'Old answer');

  await p.submit(); // the first one's abort settles in this settle, after the second send started
  assert.strictEqual(state(), 'waiting for a worker', 'the second send waits for its response');
  assert.strictEqual(p.elements.stop.disabled, false, 'the second send can be stopped');
  assert.strictEqual(p.elements.send.disabled, true, 'the second send runs');
  assert.strictEqual(text(), '');

  await streams[1].respond();
  await streams[1].read(chunk('New', 'worker-b'));
  await p.frame();
  assert.strictEqual(state(), 'streaming');
  assert.strictEqual(text(), 'New');
  assert.strictEqual(p.elements.stop.disabled, false, 'the second send can be stopped');

  for (const fn of p.elements.stop.listeners.click) { fn({}); }
  await p.settle();
  assert.strictEqual(state(), 'stopped', 'Stop stops the second send');
  assert.strictEqual(p.elements.send.disabled, false);
  assert.strictEqual(text(), 'New');
});

test('tokens waiting for a frame when the next send starts never reach its answer, nor the ones after', async () => {
  const { p, streams, state, text } = await page();
  await p.submit();
  await streams[0].read(chunk('first', 'worker-a'));
  assert.strictEqual(text(), '', 'first\'s token waits for the frame');

  await p.submit();
  await streams[1].read(chunk('second', 'worker-b'));
  await p.frame();
  assert.strictEqual(text(), 'second', 'the first send\'s token waiting for the frame is dropped');

  await streams[1].read(chunk(' more', 'worker-b'));
  await p.submit(); // the second send's token still waits for the frame; the third send ends the second
  await streams[2].read(chunk('third', 'worker-a'));
  await streams[1].read(chunk(' late', 'worker-b')); // as far as the second stream was not aborted
  await p.frame();
  assert.strictEqual(text(), 'third', 'the third answer holds its own text only');
  await streams[2].read(END);
  assert.strictEqual(state(), 'done');
  assert.strictEqual(text(), 'third');
});
