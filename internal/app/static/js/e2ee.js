// End-to-end encryption in the browser. chats.js imports this module only
// when an encrypted conversation opens. It loads the Go SDK compiled to
// WebAssembly (/e2ee/safeguard.wasm with Go's /e2ee/wasm_exec.js), which
// does all the cryptography: the device's keys, Olm and Megolm sessions,
// attachments, franking and safety numbers. The device's state leaves the
// WebAssembly program only sealed under the user's passphrase (argon2id,
// XChaCha20-Poly1305); this module keeps those sealed bytes in IndexedDB,
// one record per server and account. The passphrase itself is never
// stored. See docs/app.md, "End-to-end encryption in the browser".
//
//   const E = await import('./e2ee.js');
//   const e = await E.load({ token, base: location.origin });
//   await e.unlock(passphrase);
//   await e.send(convId, text);  await e.sendImage(convId, file);
//   const { text, image } = await e.decrypt(message);
//   const number = await e.safetyNumber(convId, handle);
//   await e.report(convId, messageId, reason, note);

const DB_NAME = 'safeguard-e2ee';
const DB_STORE = 'devices';
const MIN_PASSPHRASE = 8;

let runtime = null;

// loadRuntime starts the WebAssembly program once per page and returns
// its API: { open({base, token, passphrase, load, save}) }.
function loadRuntime() {
  if (!runtime) {
    runtime = (async () => {
      if (typeof WebAssembly !== 'object') {
        throw new Error('This browser cannot run end-to-end encryption. Use a recent Chrome, Edge, Firefox or Safari.');
      }
      await import('../e2ee/wasm_exec.js');
      const go = new globalThis.Go();
      const ready = new Promise((resolve) => { globalThis.__safeguardE2EEReady = resolve; });
      const url = new URL('../e2ee/safeguard.wasm', import.meta.url);
      let result;
      try {
        result = await WebAssembly.instantiateStreaming(fetch(url, { cache: 'no-cache' }), go.importObject);
      } catch (err) {
        throw new Error('The encryption part of the app could not be loaded. Check your connection and try again.', { cause: err });
      }
      go.run(result.instance); // runs for as long as the page lives
      const api = await ready;
      delete globalThis.__safeguardE2EEReady;
      return api;
    })();
    runtime.catch(() => { runtime = null; }); // a later chat may try again
  }
  return runtime;
}

// --- IndexedDB: the sealed device state -------------------------------

function idb() {
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = indexedDB.open(DB_NAME, 1);
    } catch (err) {
      reject(storageError(err));
      return;
    }
    req.onupgradeneeded = () => req.result.createObjectStore(DB_STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error));
    req.onblocked = () => reject(new Error('Close the other Safeguard tabs and try again.'));
  });
}

function storageError(cause) {
  return new Error('This browser cannot keep your encryption keys: its storage is turned off or full. ' +
    'Private windows often do this.', { cause });
}

async function idbGet(key) {
  const db = await idb();
  try {
    return await new Promise((resolve, reject) => {
      const req = db.transaction(DB_STORE, 'readonly').objectStore(DB_STORE).get(key);
      req.onsuccess = () => resolve(req.result ? req.result.sealed : null);
      req.onerror = () => reject(storageError(req.error));
    });
  } finally {
    db.close();
  }
}

// idbPut resolves once the transaction is committed, so the program never
// goes on (and never tells the server a page was fetched) before its new
// state is kept.
async function idbPut(key, sealed) {
  const db = await idb();
  try {
    await new Promise((resolve, reject) => {
      const tx = db.transaction(DB_STORE, 'readwrite', { durability: 'strict' });
      tx.objectStore(DB_STORE).put({ sealed, saved_at: new Date().toISOString() }, key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(storageError(tx.error));
      tx.onabort = () => reject(storageError(tx.error));
    });
  } finally {
    db.close();
  }
}

// holdDevice takes the Web Lock named after the device's record for as
// long as this tab has the device open, and answers the function that lets
// it go. Another tab holding it is refused with a sentence.
async function holdDevice(key) {
  if (!navigator.locks) return () => {}; // no Web Locks (an insecure origin): nothing to hold
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const got = await new Promise((resolve, reject) => {
    navigator.locks.request(`safeguard-e2ee ${key}`, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock ? held : undefined;
    }).catch(reject);
  });
  if (!got) {
    throw new Error('Encrypted chats are open in another Safeguard tab or window. Use that one, or close it and try again.');
  }
  return release;
}

// --- the API ------------------------------------------------------------

// load starts the WebAssembly program and returns an E2EE for the account
// the token belongs to. Nothing is unlocked yet: call unlock(passphrase).
export async function load({ token, base }) {
  if (!token) throw new Error('Log in first.');
  base = String(base || location.origin).replace(/\/+$/, '');
  const [api, me] = await Promise.all([loadRuntime(), whoAmI(base, token)]);
  return new E2EE(api, base, token, me);
}

async function whoAmI(base, token) {
  let res;
  try {
    res = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch (err) {
    throw new Error('Safeguard could not be reached. Check your connection and try again.', { cause: err });
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new Error((body && body.error && body.error.message) || 'That did not work. Please try again.');
  }
  return body;
}

// rethrow keeps the sentence from the program and adds its code for the
// app's own logic (never shown).
function rethrow(err) {
  const e = new Error(err && err.message ? err.message : 'Something went wrong with encryption. Please try again.');
  e.code = (err && err.code) || '';
  e.cause = err;
  throw e;
}

export class E2EE {
  constructor(api, base, token, me) {
    this.api = api;
    this.base = base;
    this.token = token;
    this.handle = me.handle;
    this.key = `${base}#${me.id}`;
    this.session = null;
    this.opening = null;
    this.release = () => {};
  }

  get unlocked() { return this.session !== null; }

  // hasKeys tells whether this browser already holds this account's
  // device (then unlock opens it) or not (then unlock creates one).
  async hasKeys() {
    return (await idbGet(this.key)) !== null;
  }

  // unlock opens this browser's device with the passphrase, or creates and
  // registers a new one sealed under it. A wrong passphrase rejects with
  // code e2ee_wrong_passphrase; nothing is changed then.
  async unlock(passphrase) {
    if (this.session) return this;
    passphrase = String(passphrase || '');
    if (!passphrase) throw new Error('Enter your passphrase.');
    if (this.opening) return this.opening;
    this.opening = (async () => {
      const isNew = !(await this.hasKeys());
      if (isNew && [...passphrase].length < MIN_PASSPHRASE) {
        throw new Error(`Choose a passphrase of at least ${MIN_PASSPHRASE} characters.`);
      }
      // One tab at a time holds this account's device: two copies of its
      // state would drift apart (message keys, the inbox cursor).
      this.release = await holdDevice(this.key);
      try {
        this.session = await this.api.open({
          base: this.base,
          token: this.token,
          passphrase,
          load: () => idbGet(this.key),
          save: (sealed) => idbPut(this.key, sealed),
        });
      } catch (err) {
        this.release();
        rethrow(err);
      }
      this.device = this.session.device;
      return this;
    })();
    try {
      return await this.opening;
    } finally {
      this.opening = null;
    }
  }

  need() {
    if (!this.session) throw new Error('Unlock encrypted chats with your passphrase first.');
    return this.session;
  }

  // send encrypts text for every device of the conversation's members and
  // sends it; the answer is the message as the server lists it (kind
  // "envelope"), which decrypt reads back from this device.
  async send(convId, text) {
    const r = await this.need().send(convId, String(text)).catch(rethrow);
    return this.sent(convId, r);
  }

  sent(convId, r) {
    return { id: r.id, conversation_id: Number(convId), sender: this.handle, kind: 'envelope', status: 'delivered', created_at: r.created_at };
  }

  // sendImage encrypts a photo under a fresh key before it leaves the
  // browser, uploads it as an opaque blob and sends its key inside an
  // encrypted message.
  async sendImage(convId, file, caption = '') {
    const s = this.need();
    const bytes = new Uint8Array(await file.arrayBuffer());
    const r = await s.sendImage(convId, bytes, file.type || '', String(caption || '')).catch(rethrow);
    return this.sent(convId, r);
  }

  // decrypt returns a message of an encrypted conversation as this device
  // reads it: {text, image: Blob|null, sender, outgoing}. It fetches what
  // waits for this device first when the message is new to it.
  async decrypt(message) {
    const s = this.need();
    const convId = message.conversation_id ?? message.conversationId;
    const m = await s.message(convId, message.id).catch(rethrow);
    return {
      id: m.id,
      text: m.text || '',
      image: m.image ? new Blob([m.image], { type: m.content_type || 'application/octet-stream' }) : null,
      sender: m.sender,
      outgoing: m.outgoing,
    };
  }

  // sync fetches and decrypts everything waiting for this device:
  // {messages: [{id, conversation_id}], problems: [{id, conversation_id, sender, message}]}.
  async sync() {
    return this.need().sync().catch(rethrow);
  }

  // safetyNumbers lists the other member devices of a conversation with
  // the safety number this device and each one share:
  // [{handle, device, number, verified, changed}].
  async safetyNumbers(convId) {
    return this.need().safetyNumbers(convId).catch(rethrow);
  }

  // safetyNumber is the safety number with a member's device (60 digits in
  // groups of five); with several devices, one line each.
  async safetyNumber(convId, handle) {
    const peers = (await this.safetyNumbers(convId)).filter((p) => p.handle === handle);
    if (peers.length === 0) throw new Error(`${handle} has no device set up for encrypted chats yet.`);
    return peers.map((p) => p.number).join('\n');
  }

  // report sends a received message's franking report: the message as its
  // sender wrote it with the key that opens its commitment. The server
  // verifies who sent it and opens a case. It resolves to a receipt shaped
  // like that of POST /api/v1/reports: {id, received_at, notices,
  // block_handle}. The server takes no note with it (the message itself is
  // the evidence), so a note is refused rather than dropped.
  async report(convId, messageId, reason, note) {
    if (note && String(note).trim()) {
      throw new Error('A report of an encrypted message cannot carry a note. Send it without one.');
    }
    const s = this.need();
    const m = await s.message(convId, messageId).catch(rethrow);
    const r = await s.report(convId, messageId, reason || '').catch(rethrow);
    return {
      id: r.detection_id,
      detection_id: r.detection_id,
      status: r.status,
      received_at: new Date().toISOString(),
      notices: r.notices || [],
      block_handle: m.outgoing ? '' : m.sender,
    };
  }

  // safetyNumbersView is a section listing the safety numbers of a
  // conversation, for chats.js to show.
  async safetyNumbersView(convId) {
    return safetyNumbersView(this, convId);
  }

  // close saves the state and forgets the keys derived from the passphrase.
  async close() {
    const s = this.session;
    this.session = null;
    if (!s) return;
    try {
      await s.close().catch(rethrow);
    } finally {
      this.release();
    }
  }
}

// --- UI for chats.js ---------------------------------------------------

function el(tag, props = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v);
  }
  for (const kid of kids) if (kid) n.append(kid);
  return n;
}

// safetyNumbersView lists the safety number of this device with each
// other device of the conversation, to compare in person or on a call.
async function safetyNumbersView(e, convId) {
  const peers = await e.safetyNumbers(convId);
  const box = el('section', { class: 'e2ee-safety', 'aria-label': 'Safety numbers' },
    el('h3', { text: 'Safety numbers' }),
    el('p', { class: 'hint', text: 'Compare these numbers with the other person\'s screen. If they match, nobody is in between.' }));
  if (peers.length === 0) box.append(el('p', { text: 'Nobody else in this chat has set up encrypted chats yet.' }));
  for (const p of peers) {
    const groups = p.number.split(' ');
    const rows = [0, 4, 8].map((i) => groups.slice(i, i + 4).join(' '));
    const code = el('code', { class: 'safety-number' });
    rows.forEach((r, i) => { if (i) code.append(el('br')); code.append(document.createTextNode(r)); });
    const item = el('div', { class: 'safety-peer' }, el('p', { text: `${p.handle} · device ${p.device}` }), code);
    if (p.changed) {
      item.append(el('p', { class: 'error', role: 'alert', text: `${p.handle}'s keys changed since you last talked. Compare the number before you trust it.` }));
    }
    box.append(item);
  }
  return box;
}
