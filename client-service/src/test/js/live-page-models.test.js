// The model list of the live page is asked for once, when the page loads (loadModels in app.js). A gateway with API
// keys answers that first GET /v1/models with 401 (no key typed yet), a gateway whose director is down with 503: the
// list then stays the built-in "stand-in" for good, though the page's worker table recovers within a second. With
// the openai backend (model e.g. "llama-3") every Send asks for "stand-in" and gets 404 model_not_found until the
// page is reloaded.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { loadPage } = require('./harness');

const KEY = 'sk-live';
const STATUS = { connected: true, director: '127.0.0.1:61000', directorId: 'd', workers: [
  { label: 'worker-a', address: '127.0.0.1:61001', state: 'HEALTHY', eligible: true, activeStreams: 0, models: ['llama-3'] }] };
const MODELS = { object: 'list', data: [{ id: 'llama-3', object: 'model', created: 0, owned_by: 'connection-swap' }] };
const UNAUTHORIZED = { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error',
  param: null, code: 'invalid_api_key' } } };

function gatewayWithKey() {
  return (url, init) => {
    if ((init.headers || {}).Authorization !== 'Bearer ' + KEY) { return UNAUTHORIZED; }
    return url === '/v1/models' ? { status: 200, body: MODELS } : { status: 200, body: STATUS };
  };
}

test('the model list is loaded once the user has typed the gateway\'s API key', async () => {
  const page = loadPage(gatewayWithKey());
  await page.settle();
  await page.type('api-key', KEY);
  await page.tick(); // the worker table is refreshed with the key now
  assert.match(page.elements.director.textContent, /^connected to /);
  assert.deepStrictEqual(page.elements.model.options, ['llama-3'],
    'the model select still offers only "stand-in": a Send now fails with 404 model_not_found');
});

test('the model list is loaded once the director is back', async () => {
  let directorUp = false;
  const page = loadPage((url) => {
    if (!directorUp) {
      return { status: 503, body: { error: { message: 'the gateway is not connected to a director',
        type: 'service_unavailable_error', param: null, code: 'no_healthy_worker' } } };
    }
    return url === '/v1/models' ? { status: 200, body: MODELS } : { status: 200, body: STATUS };
  });
  await page.settle();
  assert.match(page.elements.director.textContent, /^director unreachable/);
  directorUp = true;
  await page.tick();
  await page.tick();
  assert.match(page.elements.director.textContent, /^connected to /);
  assert.deepStrictEqual(page.elements.model.options, ['llama-3'],
    'the model select still offers only "stand-in" after the director came back');
});
