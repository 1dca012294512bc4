// Installed before the live page's own script (CDP Page.addScriptToEvaluateOnNewDocument): fetch answers the page
// from here instead of a gateway. /api/status and /v1/models answer at once; /v1/chat/completions answers a stream
// the test feeds through window.liveStream: push(sse) gives the page's reader one read, end() its end; nextRead()
// resolves when the page asks for the next read, that is once it has handled the last one. The Stop button's abort
// rejects a pending read with an AbortError, as a browser's fetch body does.
(() => {
  'use strict';
  const encoder = new TextEncoder();
  const queued = [];
  let pendingRead = null;
  let readWaiters = [];
  let signal = null;
  const json = (body) => Promise.resolve(new Response(JSON.stringify(body),
    { status: 200, headers: { 'Content-Type': 'application/json' } }));
  function deliver(item) {
    const answer = item === null ? { value: undefined, done: true } : { value: encoder.encode(item), done: false };
    if (pendingRead) { const p = pendingRead; pendingRead = null; p.resolve(answer); } else { queued.push(answer); }
  }
  function read() {
    const waiters = readWaiters;
    readWaiters = [];
    waiters.forEach((w) => w());
    if (queued.length) { return Promise.resolve(queued.shift()); }
    return new Promise((resolve, reject) => { pendingRead = { resolve, reject }; });
  }
  window.liveStream = {
    push: (sse) => deliver(sse),
    end: () => deliver(null),
    nextRead: () => new Promise((resolve) => readWaiters.push(resolve)),
    chunk(text, worker, swap) {
      const ext = { worker };
      if (swap) { ext.swap = swap; }
      return 'data: ' + JSON.stringify({ object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content: text }, finish_reason: null }], x_connection_swap: ext }) + '\n\n';
    },
    finish: () => 'data: ' + JSON.stringify({ object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }) + '\n\ndata: [DONE]\n\n'
  };
  window.fetch = (url, init = {}) => {
    if (url === '/api/status') { return json({ connected: true, director: 'stub', directorId: 'd', workers: [] }); }
    if (url === '/v1/models') { return json({ object: 'list', data: [{ id: 'stand-in' }] }); }
    signal = init.signal;
    if (signal) {
      signal.addEventListener('abort', () => {
        if (pendingRead) { pendingRead.reject(new DOMException('The user aborted a request.', 'AbortError')); }
        pendingRead = null;
      });
    }
    return Promise.resolve({ ok: true, status: 200, statusText: 'OK', body: { getReader: () => ({ read }) } });
  };
})();
