// The live page on a gateway with API keys (CONNECTION_SWAP_GATEWAY_API_KEYS): what the director line says.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { loadPage } = require('./harness');

const STATUS = { connected: true, director: '127.0.0.1:61000', directorId: 'd', workers: [] };
const UNAUTHORIZED = { status: 401, body: { error: { message: "Incorrect API key provided: send 'Authorization: "
  + "Bearer <key>' with one of the gateway's keys", type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } };

// refreshWorkers() puts every failed GET /api/status under "director unreachable: ...": a 401 for a missing key on a
// gateway whose director is connected and healthy reads as a director outage, every second.
test('a gateway asking for an API key is not reported as an unreachable director', async () => {
  const page = loadPage((url, init) => ((init.headers || {}).Authorization ? { status: 200, body: STATUS } : UNAUTHORIZED));
  await page.settle();
  assert.doesNotMatch(page.elements.director.textContent, /director unreachable/);
});

