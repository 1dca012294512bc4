// The live page: streams a chat completion from this gateway (POST /v1/chat/completions, stream: true) and shows
// every token as it arrives, underlined in its worker's colour; where the generation moved to another worker the
// gateway's chunk carries x_connection_swap.swap, shown inline. Workers' health comes from GET /api/status (the
// director's STATUS over the gateway's QUIC connection), refreshed every second. No build step, no libraries.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const workerColours = new Map();
  // The running send's AbortController; a send sets it, and only the send that set it may change the page. A send while
  // one runs aborts that one, whose abort settles after the new send started: it then leaves the page alone.
  let running = null;

  function headers() {
    const h = { 'Content-Type': 'application/json' };
    const key = $('api-key').value.trim();
    if (key) { h.Authorization = 'Bearer ' + key; localStorage.setItem('cs-api-key', key); }
    else { localStorage.removeItem('cs-api-key'); } // an emptied field forgets the key
    return h;
  }

  function colourOf(worker) {
    if (!workerColours.has(worker)) { workerColours.set(worker, 'w' + (workerColours.size % 4)); }
    return workerColours.get(worker);
  }

  function setState(text, cls) {
    const el = $('stream-state');
    el.textContent = text;
    el.className = 'state ' + cls;
  }

  // The answer, laid out so that a token costs the browser about the same late in a long answer as early: a block per
  // line of the text (a div.line ends after each "\n"; pre-wrap shows the same lines as one block would), in it a
  // span.tok per run of up to RUN_PIECES tokens from the same worker (its colour, its name on hover). A token then
  // re-lays out its own line, where one block for the whole answer re-laid it all out every time; bounded runs keep a
  // very long line (no "\n") cheap too, where one span, or one Text node growing by appendData, per worker cost more.
  // The tokens and swap marks that arrive between two frames wait in `pending` and go into the DOM together at the
  // next animation frame, a Text node per run for all of them: DOM work per frame, not per token, and fewer nodes
  // for the layout to walk. A hidden tab renders no frames: there they go in on a timer (which the browser may slow
  // to once a second), and what waits goes in when the tab is hidden or shown and when the stream ends.
  // LivePageLongAnswerBench (system-tests) prints the figures.
  const RUN_PIECES = 64;
  const HIDDEN_FLUSH_MS = 250;
  let line = null; // the div.line the next text goes into; null: a new one
  let run = null; // { worker, span, pieces, text }: the last span.tok, text not yet in it; null: a new one next
  let pending = []; // { text, worker } or { swap }, as they arrived, not yet in the DOM
  let frame = 0; // the requestAnimationFrame that shows `pending`; 0: none
  let timer = 0; // the same in a hidden tab, a timeout; 0: none

  function show(item) {
    pending.push(item);
    if (frame || timer) { return; }
    if (document.hidden) { timer = setTimeout(flush, HIDDEN_FLUSH_MS); }
    else { frame = requestAnimationFrame(flush); }
  }

  /** Puts what is pending into the DOM now. */
  function flush() {
    if (frame) { cancelAnimationFrame(frame); frame = 0; }
    if (timer) { clearTimeout(timer); timer = 0; }
    const items = pending;
    pending = [];
    for (const item of items) {
      if (item.swap) { appendSwap(item.swap); } else { appendToken(item.text, item.worker); }
    }
    endRunText();
  }

  /** A new answer: what the last one left pending is dropped. */
  function clearAnswer() {
    pending = [];
    flush();
    line = null;
    run = null;
    $('output').textContent = '';
  }

  function appendToken(text, worker) {
    for (let rest = text; rest;) {
      const end = rest.indexOf('\n') + 1;
      appendToRun(end ? rest.slice(0, end) : rest, worker || '');
      if (end) { endRunText(); line = null; run = null; }
      rest = end ? rest.slice(end) : '';
    }
  }

  function appendToRun(text, worker) {
    if (!run || run.worker !== worker || run.pieces >= RUN_PIECES) {
      endRunText();
      const span = document.createElement('span');
      span.className = 'tok ' + colourOf(worker || '?');
      span.title = worker ? 'from ' + worker : '';
      span.dataset.worker = worker;
      run = { worker, span, pieces: 0, text: '' };
      currentLine().appendChild(span);
    }
    run.text += text;
    run.pieces++;
  }

  /** The run's text gathered in this frame goes into its span, as one Text node. */
  function endRunText() {
    if (run && run.text) {
      run.span.appendChild(document.createTextNode(run.text));
      run.text = '';
    }
  }

  function currentLine() {
    if (!line) {
      line = document.createElement('div');
      line.className = 'line';
      $('output').appendChild(line);
    }
    return line;
  }

  function appendSwap(swap) {
    endRunText();
    run = null;
    const mark = document.createElement('span');
    mark.className = 'swap';
    mark.dataset.from = swap.from;
    mark.dataset.to = swap.to;
    mark.textContent = '\u21c4 ' + swap.from + ' \u2192 ' + swap.to + ' (' + swap.reason + ', ' + swap.gap_ms + ' ms)';
    currentLine().appendChild(mark);
  }

  function appendError(message) {
    flush();
    line = null;
    run = null;
    const el = document.createElement('span');
    el.className = 'error';
    el.textContent = message;
    $('output').appendChild(el);
  }

  async function send(event) {
    event.preventDefault();
    if (running) { running.abort(); }
    const controller = new AbortController();
    running = controller;
    clearAnswer();
    $('stats').textContent = '';
    $('send').disabled = true;
    $('stop').disabled = false;
    setState('waiting for a worker', 'streaming');
    const started = performance.now();
    let tokens = 0, swaps = 0, firstTokenMs = null;
    const body = {
      model: $('model').value,
      messages: [{ role: 'user', content: $('prompt').value }],
      max_tokens: parseInt($('max-tokens').value, 10) || 60,
      stream: true
    };
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST', headers: headers(), body: JSON.stringify(body), signal: controller.signal
      });
      if (!response.ok) {
        const err = await response.json().catch(() => ({}));
        throw new Error(response.status + ' ' + ((err.error && err.error.message) || response.statusText));
      }
      setState('streaming', 'streaming');
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let finished = false;
      while (!finished) {
        const { value, done } = await reader.read();
        if (done) { break; }
        buffer += decoder.decode(value, { stream: true });
        let at = 0; // where the next event starts: one slice of the buffer per read, not one per event
        let cut;
        while ((cut = buffer.indexOf('\n\n', at)) >= 0) {
          const event = buffer.slice(at, cut);
          at = cut + 2;
          for (const line of event.split('\n')) {
            if (!line.startsWith('data:')) { continue; }
            const data = line.slice(5).trim();
            if (data === '[DONE]') { finished = true; break; }
            const chunk = JSON.parse(data);
            if (chunk.error) { throw new Error(chunk.error.code + ': ' + chunk.error.message); }
            const ext = chunk.x_connection_swap || {};
            if (ext.swap) { swaps++; show({ swap: ext.swap }); }
            const choice = (chunk.choices || [])[0];
            const text = choice && choice.delta && choice.delta.content;
            if (text) {
              tokens++;
              if (firstTokenMs === null) { firstTokenMs = performance.now() - started; }
              show({ text, worker: ext.worker });
            }
            if (choice && choice.finish_reason) {
              $('stats').textContent = tokens + ' tokens, ' + swaps + ' swap(s), first token after '
                + Math.round(firstTokenMs || 0) + ' ms, finish_reason ' + choice.finish_reason;
            }
          }
        }
        buffer = buffer.slice(at);
      }
      flush();
      setState(finished ? 'done' : 'ended', finished ? 'done' : 'failed');
    } catch (e) {
      if (running !== controller) { return; } // replaced by a newer send: the state, answer and queue are that one's
      if (e.name === 'AbortError') { flush(); setState('stopped', 'idle'); }
      else { setState('failed', 'failed'); appendError(e.message); }
    } finally {
      if (running === controller) {
        $('send').disabled = false;
        $('stop').disabled = true;
        running = null;
      }
    }
  }

  // the gateway gives up on the director after 5 s; a status still missing later means the gateway does not answer
  const STATUS_TIMEOUT_MS = 8000;
  let refreshing = false;
  async function refreshWorkers() {
    if (refreshing) { return; } // the last one is still on its way (the status can take seconds): no pile-up
    refreshing = true;
    const bound = new AbortController(); // a hung request would otherwise hold off every later refresh for good
    const timer = setTimeout(() => bound.abort(), STATUS_TIMEOUT_MS);
    try {
      const response = await fetch('/api/status', { headers: headers(), signal: bound.signal });
      const status = await response.json();
      if (response.status === 401 || response.status === 403) {
        $('director').textContent = 'the gateway needs one of its API keys (field above): '
          + ((status.error && status.error.message) || response.statusText);
        workersUnknown();
        return;
      }
      if (!response.ok) { throw new Error((status.error && status.error.message) || response.statusText); }
      $('director').textContent = (status.connected ? 'connected to ' : 'not connected to ') + status.director;
      if (!modelsLoaded) { loadModels(); } // refused or unreachable when the page opened
      const rows = status.workers.map((w) => '<tr data-worker="' + esc(w.label) + '"><td>' + esc(w.label)
        + '</td><td><span class="badge ' + esc(w.state) + '">' + esc(w.state) + '</span></td><td>'
        + w.activeStreams + '</td><td>' + esc((w.models || []).join(', ')) + '</td><td>' + esc(w.address)
        + '</td></tr>');
      $('workers').innerHTML = rows.join('') || '<tr><td colspan="5">no worker registered</td></tr>';
    } catch (e) {
      $('director').textContent = e.name === 'AbortError'
        ? 'the gateway did not answer the status within ' + STATUS_TIMEOUT_MS / 1000 + ' s'
        : 'director unreachable: ' + e.message;
      workersUnknown();
    } finally {
      clearTimeout(timer);
      refreshing = false;
    }
  }

  /** The status could not be read: the last rows would show a cluster nobody can vouch for any more. */
  function workersUnknown() {
    $('workers').innerHTML = '<tr><td colspan="5">workers unknown while the status cannot be read</td></tr>';
  }

  let modelsLoaded = false;
  async function loadModels() {
    try {
      const response = await fetch('/v1/models', { headers: headers() });
      if (!response.ok) { return; } // tried again at the next good status, or when the key changes
      const models = (await response.json()).data.map((m) => m.id);
      modelsLoaded = true;
      if (models.length) {
        const select = $('model');
        const current = select.value;
        select.innerHTML = models.map((m) => '<option>' + esc(m) + '</option>').join('');
        if (models.includes(current)) { select.value = current; }
      }
    } catch (e) { /* keep the default */ }
  }

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  $('api-key').value = localStorage.getItem('cs-api-key') || '';
  document.addEventListener('visibilitychange', flush); // no frame comes while hidden: what waits goes in now
  $('prompt-form').addEventListener('submit', send);
  $('stop').addEventListener('click', () => { if (running) { running.abort(); } });
  $('api-key').addEventListener('change', () => { loadModels(); refreshWorkers(); });
  loadModels();
  refreshWorkers();
  setInterval(refreshWorkers, 1000);
})();
