// Run: node --test client-service/src/test/js/ (Node 20, no packages).
// A minimal stand-in for the browser the live page (static/app.js) runs in: the elements of index.html by id,
// localStorage, fetch answered by the test, and timers and animation frames the test fires itself. No libraries:
// `node --test`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const APP = path.join(__dirname, '..', '..', 'main', 'resources', 'static', 'app.js');
const IDS = ['api-key', 'prompt', 'model', 'max-tokens', 'send', 'stop', 'stream-state', 'output', 'stats',
  'director', 'workers', 'prompt-form'];

function element(id) {
  const el = {
    id, value: '', className: '', title: '', disabled: false, dataset: {}, children: [], text: '',
    listeners: {},
    appendChild(child) { this.children.push(child); return child; },
    addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  };
  // as the DOM's: its own text and its children's (elements and Text nodes); setting it replaces the children
  Object.defineProperty(el, 'textContent', {
    get() { return el.text + el.children.map((child) => child.textContent).join(''); },
    set(v) { el.text = String(v); el.children = []; }
  });
  let html = '';
  Object.defineProperty(el, 'innerHTML', {
    get() { return html; },
    set(v) {
      html = String(v);
      if (id === 'model') { // a <select>: its options' texts, the first one selected
        const options = [...html.matchAll(/<option[^>]*>([^<]*)<\/option>/g)].map((m) => m[1]);
        el.options = options;
        el.value = options[0] || '';
      }
    }
  });
  return el;
}

/**
 * Loads app.js once. `answer(url, init)` returns {status, body} (body an object: JSON) or a Promise of one (one that
 * never settles: a gateway that does not answer; the page's abort still ends the fetch), or throws to fail the fetch;
 * {status, reads} answers a stream: `reads` are the strings the page's reader gets, one per read, as a socket cuts
 * them (or bytes, a Uint8Array, to cut inside a character; or Promises of either). `stored` is localStorage's content before the page loads.
 */
function loadPage(answer, stored = {}) {
  const elements = Object.fromEntries(IDS.map((id) => [id, element(id)]));
  elements.model.innerHTML = '<option value="stand-in">stand-in</option>';
  const storage = new Map(Object.entries(stored));
  const intervals = [];
  const frames = new Map(); // requestAnimationFrame's callbacks not yet run, by id
  let frameIds = 0;
  const requests = [];
  const documentListeners = {};
  const document = {
    hidden: false,
    getElementById: (id) => elements[id] || null,
    createElement: (tag) => element(tag),
    createTextNode: (data) => ({ data, get textContent() { return this.data; } }),
    addEventListener(type, fn) { (documentListeners[type] = documentListeners[type] || []).push(fn); }
  };
  const context = {
    document,
    localStorage: {
      getItem: (k) => (storage.has(k) ? storage.get(k) : null),
      setItem: (k, v) => storage.set(k, String(v)),
      removeItem: (k) => storage.delete(k)
    },
    fetch: async (url, init = {}) => {
      requests.push({ url, init });
      const a = await abortable(answer(url, init), init.signal);
      const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      return {
        ok: a.status >= 200 && a.status < 300,
        status: a.status,
        statusText: String(a.status),
        json: async () => JSON.parse(text),
        body: { getReader: () => reader(a.reads || [], init.signal) }
      };
    },
    setInterval: (fn, ms) => { intervals.push(fn); return intervals.length; },
    clearInterval: () => {},
    setTimeout: (fn, ms) => { intervals.push(fn); return intervals.length; },
    clearTimeout: () => {},
    // as a browser's: the callbacks run at the next frame (the test's frame()), never while the tab is hidden
    requestAnimationFrame: (fn) => { frames.set(++frameIds, fn); return frameIds; },
    cancelAnimationFrame: (id) => frames.delete(id),
    performance: { now: () => 0 },
    AbortController, TextDecoder, Error, JSON, Map, Promise, String, Math, parseInt, console
  };
  vm.createContext(context);
  vm.runInContext(fs.readFileSync(APP, 'utf8'), context, { filename: APP });
  return {
    elements, storage, requests,
    /** Fires every timer the page set (one tick of its polling) and lets the answers arrive. */
    /** The user types `value` into the field `id` (its input and change events fire). */
    async type(id, value) {
      const el = elements[id];
      el.value = value;
      for (const type of ['input', 'change']) { for (const fn of el.listeners[type] || []) { fn({ target: el }); } }
      await settle();
    },
    async tick() { for (const fn of intervals.slice()) { fn(); } await settle(); },
    /** Animation frames requested and not yet run. */
    framesPending: () => frames.size,
    /** The browser renders a frame: the animation frame callbacks requested so far run (none while hidden). */
    async frame() {
      if (document.hidden) { return; }
      const due = [...frames.values()];
      frames.clear();
      for (const fn of due) { fn(performance.now()); }
      await settle();
    },
    /** The tab is hidden (true) or shown again (false): document.hidden and a visibilitychange event. */
    async setHidden(hidden) {
      document.hidden = hidden;
      for (const fn of documentListeners.visibilitychange || []) { fn({ type: 'visibilitychange' }); }
      await settle();
    },
    /** The user sends the prompt (the form's submit). */
    async submit() {
      for (const fn of elements['prompt-form'].listeners.submit || []) { fn({ preventDefault() {} }); }
      await settle();
    },
    settle
  };
}

/**
 * A response body's reader (ReadableStreamDefaultReader.read) giving `reads`, strings UTF-8 encoded, then its end. A
 * read may be a Promise: the stream waits for it (a gateway with nothing to send yet). As a browser's, an abort of the
 * fetch's `signal` rejects the read waiting and every later one with an AbortError.
 */
function reader(reads, signal) {
  const encoder = new TextEncoder();
  let next = 0;
  return {
    read: async () => {
      if (next >= reads.length) { return { value: undefined, done: true }; }
      const read = await abortable(reads[next++], signal);
      return { value: typeof read === 'string' ? encoder.encode(read) : read, done: false };
    }
  };
}

/** As a browser's fetch: an abort of `signal` rejects it with an AbortError, even while the answer never comes. */
function abortable(answer, signal) {
  if (!signal) { return Promise.resolve(answer); }
  const aborted = () => Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
  if (signal.aborted) { return Promise.reject(aborted()); }
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(aborted()));
    Promise.resolve(answer).then(resolve, reject);
  });
}

async function settle() {
  for (let i = 0; i < 20; i++) { await new Promise((resolve) => setImmediate(resolve)); }
}

module.exports = { loadPage, settle };
