// The API client. The session token lives in this module's memory only:
// never in localStorage, sessionStorage, IndexedDB or a cookie, so a reload
// or a closed tab ends the app's hold on it (docs/app.md). Every error is
// an ApiError whose message is the server's sentence, never its code.

let token = null;

const offline = 'Safeguard could not be reached. Check your connection and try again.';

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    // code is for the app's own logic (e.g. a resync); it is never shown.
    this.code = code || '';
  }
}

export function setToken(t) { token = t || null; }
export function getToken() { return token; }

function headers(extra) {
  const h = new Headers(extra || {});
  if (token) h.set('Authorization', `Bearer ${token}`);
  return h;
}

// fail turns an error response into an ApiError carrying the server's
// message.
async function fail(res) {
  let message = '';
  let code = '';
  try {
    const body = await res.json();
    message = body && body.error && body.error.message;
    code = body && body.error && body.error.code;
  } catch { /* not JSON */ }
  if (!message) {
    message = res.status >= 500
      ? 'Something went wrong on our side. Please try again in a moment.'
      : 'That did not work. Please try again.';
  }
  return new ApiError(message, res.status, code);
}

// request sends a request and returns the decoded JSON answer (null for
// an empty one). body: an object (sent as JSON), FormData, a Blob or
// ArrayBuffer (sent as bytes), or undefined.
export async function request(method, path, body, opts = {}) {
  const init = { method, headers: headers(opts.headers), signal: opts.signal, cache: 'no-store' };
  if (body instanceof FormData || body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(offline, 0);
  }
  if (!res.ok) throw await fail(res);
  if (opts.raw) return res;
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  del: (path, body, opts) => request('DELETE', path, body, opts),
  // blob fetches bytes with the token (an <img src> cannot send it).
  blob: async (path, opts) => (await request('GET', path, undefined, { ...opts, raw: true })).blob(),
  token: getToken,
};

// stream reads the server-sent events at path with fetch and a stream
// reader, so the Authorization and Last-Event-ID headers can be sent. It
// calls onEvent(event, id) for each event and returns when the stream ends;
// it throws an ApiError when the server refuses the stream.
export async function stream(path, lastId, onEvent, signal, onOpen) {
  const h = headers({ Accept: 'text/event-stream' });
  if (lastId) h.set('Last-Event-ID', lastId);
  let res;
  try {
    res = await fetch(path, { headers: h, signal, cache: 'no-store' });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(offline, 0);
  }
  if (!res.ok) throw await fail(res);
  // The server answers once it listens: from now on no event is missed.
  if (onOpen) onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let data = [];
  let id = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length) {
          let ev = null;
          try { ev = JSON.parse(data.join('\n')); } catch { /* skip a broken event */ }
          if (ev) onEvent(ev, id);
        }
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'data') data.push(val);
      else if (field === 'id' && !val.includes('\0')) id = val;
    }
  }
}
