// The worker table of the live page (refreshWorkers in app.js) when GET /api/status stops answering: the director
// is gone (503 from the gateway) or the gateway itself is (the fetch fails). The director line says so, but the
// table kept the rows of the last good answer: a HEALTHY worker with its streams, shown as if current, while nothing
// is known about it any more.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { loadPage } = require('./harness');

const STATUS = { connected: true, director: '127.0.0.1:61000', directorId: 'd', workers: [
  { label: 'worker-a', address: '127.0.0.1:61001', state: 'HEALTHY', eligible: true, activeStreams: 2,
    models: ['stand-in'] }] };
const DIRECTOR_DOWN = { status: 503, body: { error: { message: 'the gateway is not connected to a director',
  type: 'service_unavailable_error', param: null, code: 'no_healthy_worker' } } };

async function pageThatLoses(failure) {
  let up = true;
  const page = loadPage((url) => {
    if (!up) { return failure(); }
    return url === '/v1/models' ? { status: 200, body: { object: 'list', data: [] } } : { status: 200, body: STATUS };
  });
  await page.settle();
  assert.match(page.elements.workers.innerHTML, /HEALTHY/, 'the table showed the worker while the director answered');
  up = false;
  await page.tick();
  return page;
}

test('the worker table does not keep its last rows once the director is unreachable', async () => {
  const page = await pageThatLoses(() => DIRECTOR_DOWN);
  assert.match(page.elements.director.textContent, /^director unreachable/);
  assert.doesNotMatch(page.elements.workers.innerHTML, /HEALTHY|worker-a/,
    'the table still shows worker-a HEALTHY though the status is no longer known');
});

test('the worker table does not keep its last rows once the gateway is unreachable', async () => {
  const page = await pageThatLoses(() => { throw new TypeError('Failed to fetch'); });
  assert.match(page.elements.director.textContent, /unreachable/);
  assert.doesNotMatch(page.elements.workers.innerHTML, /HEALTHY|worker-a/,
    'the table still shows worker-a HEALTHY though the gateway no longer answers');
});

// A GET /api/status that never answers (the gateway's host gone without a reset, a laptop back from sleep, a proxy
// holding the request): the page skipped every later refresh while one was on its way, so it said "connected to" and
// showed the workers HEALTHY for as long as that fetch hung, with no end.
test('a status request that never answers does not freeze the page on its last status', async () => {
  const page = await pageThatLoses(() => new Promise(() => {}));
  await page.tick(); // the page's own timers: the next refreshes, and any bound it set on the hung one
  await page.tick();
  assert.doesNotMatch(page.elements.director.textContent, /^connected to /,
    'the director line still says "connected to" while the status request hangs');
  assert.doesNotMatch(page.elements.workers.innerHTML, /HEALTHY|worker-a/,
    'the table still shows worker-a HEALTHY while the status request hangs');
});
