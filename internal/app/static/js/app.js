// The app's shell: the session, the router (by location.hash) and the live
// event stream.
//
// A page module exports render(container, ctx) (it may be async). The
// router empties container (the <main> element) before each render and
// calls the previous page's cleanup, if render returned a function.
// Routes #/settings, #/reset (./settings.js) and #/guardian (./guardian.js)
// are loaded with import() the first time they are visited.
//
// ctx, the same object for every page:
//   ctx.api            the API client of api.js: get(path), post(path, body),
//                      patch(path, body), del(path, body), blob(path),
//                      request(method, path, body, opts); errors are
//                      ApiError with the server's message
//   ctx.account        the logged-in account (client.Account), or null
//   ctx.route          {name, id, params}: the parsed location.hash
//   ctx.navigate(hash) goes to a route, e.g. ctx.navigate('#/chats')
//   ctx.announce(text) says something in the page's polite live region
//   ctx.on(fn)         fn(event) for each live event (client.Event JSON, and
//                      {type:'resync'} after the stream reconnected);
//                      returns the function that stops it
//   ctx.login(session) takes a POST /api/v1/sessions answer: keeps the token
//                      in memory and opens the event stream
//   ctx.logout(text)   ends the session here (and on the server when it can),
//                      showing text on the log-in page
//   ctx.setAccount(a)  replaces ctx.account (after GET /api/v1/me); a new
//                      status draws the page again
//   ctx.support()      resolves to the operator's support contact (GET
//                      /api/v1/about), or ""
//   ctx.reach(before)  a paragraph: before, then how to reach the support
//                      team, filled in when GET /api/v1/about answers
//   ctx.notices        safety notices the live stream brought, by
//                      conversation ID: [{notice, message}]
//   ctx.e2ee()         the E2EE module's instance (./e2ee.js), loaded on
//                      first use: resolves to the object E.load returned

import { api, request, setToken, getToken, stream, ApiError } from './api.js';
import { el, clear } from './dom.js';
import { noticeView } from './notices.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const live = document.getElementById('live');
const alerts = document.getElementById('alerts');

const listeners = new Set();
let streamCtl = null;
let cleanup = null;
let e2eeInstance = null;
let loginNote = '';
let aboutReq = null;

export const ctx = {
  api: { ...api, request },
  account: null,
  route: { name: '', id: '', params: new URLSearchParams() },
  notices: new Map(),
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  announce(text) {
    live.textContent = '';
    // A new node each time, so the same sentence twice is read twice.
    setTimeout(() => { live.textContent = text; }, 50);
  },
  on(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  login(session) {
    setToken(session.token);
    ctx.account = session.account;
    nav.hidden = false;
    fitNav();
    startStream();
    // A parent or carer is told when a child's contact request waits.
    if (session.account && session.account.age_band === 'adult') {
      import('./guardian.js').then(m => m.watch(ctx)).catch(() => { /* the page still works */ });
    }
  },
  async logout(note) {
    const had = getToken();
    stopStream();
    if (had && !note) {
      try { await api.del('/api/v1/sessions/current'); } catch { /* the session may be gone already */ }
    }
    setToken(null);
    ctx.account = null;
    ctx.notices.clear();
    clear(alerts);
    if (e2eeInstance) e2eeInstance.close().catch(() => {}); // saves, and forgets the unlocked keys
    e2eeInstance = null;
    nav.hidden = true;
    loginNote = note || 'You have logged out.';
    ctx.navigate('#/login');
  },
  // ctx.support() resolves to a sentence's end saying how to reach the
  // operator's support team ("at help@example.org"), from GET
  // /api/v1/about; "" when the server names none or cannot be asked.
  support() {
    if (!aboutReq) aboutReq = api.get('/api/v1/about').then(a => (a && a.support_contact) || '').catch(() => { aboutReq = null; return ''; });
    return aboutReq;
  },
  reach(before) {
    const p = el('p', { class: 'support', text: `${before} Contact the team that runs this Safeguard service.` });
    ctx.support().then(c => { if (c) p.textContent = `${before} Contact the Safeguard team: ${c}`; });
    return p;
  },
  setAccount(a) {
    const before = ctx.account && ctx.account.status;
    ctx.account = a;
    fitNav();
    // A child a parent just approved, or an account just suspended: the
    // open page was drawn for the old status.
    if (before && a && a.status !== before) route();
  },
  takeLoginNote() { const n = loginNote; loginNote = ''; return n; },
  async e2ee() {
    if (!e2eeInstance) {
      const E = await import('./e2ee.js');
      e2eeInstance = await E.load({ token: getToken(), base: location.origin, api: ctx.api });
    }
    return e2eeInstance;
  },
};

// The pages: route name → module path. Pages without a session are
// listed in open.
const pages = {
  login: './auth.js',
  signup: './auth.js',
  chats: './chats.js',
  chat: './chats.js',
  contacts: './contacts.js',
  appeals: './report.js',
  settings: './settings.js',
  reset: './settings.js',
  guardian: './guardian.js',
};
const open = new Set(['login', 'signup', 'reset']);

function parse(hash) {
  const [path, query] = (hash || '').replace(/^#\/?/, '').split('?');
  const [name, id] = path.split('/');
  return { name: name || '', id: id || '', params: new URLSearchParams(query || '') };
}

async function route() {
  const hash = location.hash;
  // In-page links such as the skip link (#main) are not routes.
  if (hash && !hash.startsWith('#/')) return;
  let r = parse(hash);
  if (!pages[r.name]) {
    r = parse(getToken() ? '#/chats' : '#/login');
    history.replaceState(null, '', `#/${r.name}`);
  }
  if (!getToken() && !open.has(r.name)) {
    r = parse('#/login');
    history.replaceState(null, '', '#/login');
  }
  // A suspended account can act only on its appeals and its settings.
  if (suspended() && !forSuspended.has(r.name)) {
    r = parse('#/appeals');
    history.replaceState(null, '', '#/appeals');
  }
  ctx.route = r;
  const focusAtStart = document.activeElement;
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch { /* a page's cleanup must not stop the next */ }
  }
  cleanup = null;
  clear(main);
  markNav(r.name);
  try {
    const mod = await import(pages[r.name]);
    if (ctx.route !== r) return; // the user moved on while it loaded
    const done = await mod.render(main, ctx);
    if (ctx.route !== r) {
      // The user moved on while it drew: the page that is shown now keeps
      // its own cleanup, and this one's ends at once (its live events,
      // timers), never later.
      if (typeof done === 'function') {
        try { done(); } catch { /* as above */ }
      }
      return;
    }
    cleanup = done;
  } catch (e) {
    if (ctx.route !== r) return;
    clear(main);
    main.append(el('h1', { text: 'Something went wrong' }),
      el('p', { class: 'error', role: 'alert', text: e instanceof ApiError ? e.message : 'This page could not be opened. Please try again.' }));
  }
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.tabIndex = -1;
    // The new page's heading takes the focus, unless the person moved it
    // while the page loaded (tabbed on to the menu, say): never taken
    // from under them.
    const active = document.activeElement;
    if (active === document.body || !active.isConnected || (active === focusAtStart && !main.contains(active))) h1.focus({ preventScroll: true });
  }
  document.title = h1 ? `${h1.textContent} – Safeguard` : 'Safeguard';
}

const forSuspended = new Set(['appeals', 'settings']);
const suspended = () => !!(ctx.account && ctx.account.status === 'suspended');

// fitNav shows the links the account can use: a suspended account has
// Appeals and Settings, no chats, contacts or guardian's page.
function fitNav() {
  for (const a of nav.querySelectorAll('a')) {
    const name = (a.getAttribute('href') || '').replace(/^#\//, '');
    const li = a.closest('li');
    if (!li || !pages[name]) continue;
    li.hidden = name === 'appeals' ? !suspended() : suspended() && !forSuspended.has(name);
  }
}

function markNav(name) {
  const section = name === 'chat' ? 'chats' : name;
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${section}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// The live event stream: read with fetch so the token goes in a header;
// after a drop it reconnects with the last event ID it saw, so the server
// replays what was missed (or says resync).
function startStream() {
  stopStream();
  const ctl = new AbortController();
  streamCtl = ctl;
  let lastId = '';
  let wait = 1000;
  let replaced = false;
  const dispatch = (ev) => {
    for (const fn of [...listeners]) {
      try { fn(ev); } catch (e) { console.error(e); }
    }
  };
  const onEvent = (ev, id) => {
    if (id) lastId = id;
    wait = 1000;
    if (ev.type === 'session.ended') {
      ctl.abort();
      ctx.logout('Your session has ended. Please log in again.');
      return;
    }
    if (ev.type === 'stream.replaced') {
      replaced = true;
      return;
    }
    if (ev.type === 'account.changed' && ev.account) ctx.setAccount({ ...ctx.account, ...ev.account });
    if (ev.type === 'account.age_changed' && ev.notice) {
      // A birthday or a corrected date of birth, and what followed, in words.
      if (ev.account) ctx.setAccount({ ...ctx.account, ...ev.account });
      alert(ev.notice);
    }
    if (ev.type === 'guardian.child_deleted' && ev.notice) {
      const who = ev.account && ev.account.handle;
      alert({ ...ev.notice, title: who ? `${who} deleted their account` : ev.notice.title });
    }
    if (ev.type === 'safety.notice' && ev.notice) {
      if (ev.message) {
        const conv = ev.message.conversation_id;
        if (!ctx.notices.has(conv)) ctx.notices.set(conv, []);
        ctx.notices.get(conv).push({ notice: ev.notice, message: ev.message });
      } else {
        alert(ev.notice);
      }
    }
    dispatch(ev);
  };
  const loop = async () => {
    while (!ctl.signal.aborted) {
      try {
        // Once the stream listens, the open page reads what it shows
        // again: what came before it listened (while the page loaded, or
        // while the connection was down) is not missed.
        await stream('/api/v1/events', lastId, onEvent, ctl.signal, () => dispatch({ type: 'resync' }));
      } catch (e) {
        if (ctl.signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) {
          ctx.logout('Your session has ended. Please log in again.');
          return;
        }
      }
      if (ctl.signal.aborted) return;
      if (replaced) {
        // Another tab took the stream: come back when this one is used.
        await new Promise(resolve => {
          const back = () => { if (document.visibilityState === 'visible') { document.removeEventListener('visibilitychange', back); window.removeEventListener('focus', back); resolve(); } };
          document.addEventListener('visibilitychange', back);
          window.addEventListener('focus', back);
        });
        replaced = false;
        continue;
      }
      await new Promise(resolve => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 30000);
    }
  };
  loop();
}

// alert shows a notice about no one message (a decision on something the
// person sent, support after a photo of theirs was stopped) above every
// page until they close it.
function alert(notice) {
  const box = noticeView(notice, { appeal: () => ctx.navigate('#/appeals') });
  box.append(el('button', { type: 'button', class: 'secondary', text: 'Close', onclick: () => box.remove() }));
  alerts.append(box);
  ctx.announce(notice.title || notice.text);
}

function stopStream() {
  if (streamCtl) streamCtl.abort();
  streamCtl = null;
}

document.getElementById('logout').addEventListener('click', () => ctx.logout());
window.addEventListener('hashchange', route);
route();
