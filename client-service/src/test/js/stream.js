// What the gateway sends the live page, for the tests that stream an answer to it: a cluster status with no worker,
// a chunk of text from a worker (with its swap mark), the end of the answer, and a page showing a given stream.
'use strict';
const { loadPage } = require('./harness');

const STATUS = { connected: true, director: '127.0.0.1:61000', directorId: 'd', workers: [] };

/** One SSE event: `content` from `worker`, with the generation's `swap` mark when it moved there. */
const chunk = (content, worker, swap) => 'data: ' + JSON.stringify({ object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
  x_connection_swap: swap ? { worker, swap } : { worker } }) + '\n\n';

/** The answer's end: its finish reason, then [DONE]. */
const END = 'data: ' + JSON.stringify({ object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }) + '\n\ndata: [DONE]\n\n';

/** A page answering `/v1/chat/completions` with `completion`, the models and the status as above. */
function pageStreaming(completion) {
  return loadPage((url) => (url === '/v1/chat/completions' ? completion(url)
    : url === '/v1/models' ? { status: 200, body: { object: 'list', data: [] } } : { status: 200, body: STATUS }));
}

/** A page that was sent the prompt and is shown the stream `reads`. */
async function show(reads) {
  const page = pageStreaming(() => ({ status: 200, reads }));
  await page.settle();
  await page.submit();
  return page;
}

module.exports = { STATUS, chunk, END, pageStreaming, show };
