// The live page's stored API key (localStorage 'cs-api-key').
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { loadPage } = require('./harness');

const STATUS = { connected: true, director: '127.0.0.1:61000', directorId: 'd', workers: [] };

// headers() stores the key when the field holds one, but never removes it: a user who empties the field (to stop
// sending a key, or to forget it on a shared machine) gets the old key back in the field, and sent with every
// request, on the next page load.
test('emptying the API key field forgets the stored key', async () => {
  const page = loadPage(() => ({ status: 200, body: STATUS }));
  await page.settle();
  await page.type('api-key', 'sk-old');
  await page.tick();
  assert.strictEqual(page.storage.get('cs-api-key'), 'sk-old');
  await page.type('api-key', '');
  await page.tick();
  const reloaded = loadPage(() => ({ status: 200, body: STATUS }), Object.fromEntries(page.storage));
  await reloaded.settle();
  assert.strictEqual(reloaded.elements['api-key'].value, '', 'the emptied key is back in the field after a reload');
  assert.ok(reloaded.requests.every((r) => !(r.init.headers || {}).Authorization), 'the forgotten key is still sent');
});
