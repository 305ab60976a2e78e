// Chats: the list (#/chats) with groups and invitations, and one chat
// (#/chat/ID): history as you scroll up, text and photos, read markers,
// live messages, the encryption banner and safety notices under the
// message they are about. Message text is only ever set as text.
//
// End-to-end encrypted chats ("e2ee": true) load ./e2ee.js through
// ctx.e2ee() only when one opens; see the E2EE hooks below.

import { el, add, clear, field, errorBox, showError, busy, when, uid } from './dom.js';
import { noticeView, noticeList, noticeLinks, encryptionBanner } from './notices.js';
import { openReport } from './report.js';

export function render(main, ctx) {
  if (ctx.route.name === 'chat' && ctx.route.id) return chat(main, ctx, Number(ctx.route.id));
  return list(main, ctx);
}

const me = (ctx) => (ctx.account ? ctx.account.handle.toLowerCase() : '');
const mineState = (ctx, conv) => {
  const m = (conv.members || []).find(x => x.handle.toLowerCase() === me(ctx));
  return m ? m.state : '';
};

// nameOf is what a chat is called: its title, or the other people in it.
export function nameOf(ctx, conv) {
  if (conv.title) return conv.title;
  const others = (conv.members || []).filter(m => m.handle.toLowerCase() !== me(ctx) && (m.state === 'joined' || m.state === 'invited'));
  return others.map(m => m.handle).join(', ') || 'Just you';
}

// ---- The list ----

async function list(main, ctx) {
  const status = errorBox();
  const lists = el('div');
  const toggle = el('button', { type: 'button', text: 'New group', 'aria-expanded': 'false', 'aria-controls': 'new-group' });
  const groupForm = newGroupForm(ctx);
  groupForm.hidden = true;
  toggle.addEventListener('click', () => {
    groupForm.hidden = !groupForm.hidden;
    toggle.setAttribute('aria-expanded', String(!groupForm.hidden));
    if (!groupForm.hidden) groupForm.querySelector('input').focus();
  });
  // A child waiting for a parent or carer can start nothing yet: the page
  // says so once, instead of offering what would be refused.
  const pending = ctx.account && ctx.account.status === 'pending_guardian';
  add(main, el('h1', { text: 'Chats' }),
    pending ? waitingForGuardian(ctx) : null,
    pending ? null : el('div', { class: 'row' }, toggle), pending ? null : groupForm, status, lists);

  // The counts come after the list, so the page is drawn (and the focus
  // settled) without waiting for them; they are filled in where they are.
  let unread = new Map();
  const refresh = async () => {
    try {
      const { conversations } = await ctx.api.get('/api/v1/conversations');
      drawList(ctx, lists, conversations || [], refresh, status, unread);
      unreadCounts(ctx, conversations || []).then((u) => { unread = u; markUnread(lists, u); });
    } catch (x) {
      showError(status, x);
    }
  };
  await refresh();
  return ctx.on((ev) => {
    if (['message.created', 'conversation.added', 'conversation.member', 'conversation.changed', 'conversation.e2ee_ended', 'safety.notice', 'resync'].includes(ev.type)) refresh();
  });
}

// waitingForGuardian tells a child whose account waits for a parent or
// carer, and gives a new code to pass on (the one from sign-up may be lost
// or expired).
function waitingForGuardian(ctx) {
  const err = errorBox();
  const out = el('div', { role: 'status' });
  const get = el('button', { type: 'button', class: 'secondary', text: 'Get a new code' });
  get.addEventListener('click', async () => {
    get.disabled = true;
    showError(err, null);
    try {
      const a = await ctx.api.post('/api/v1/guardian/code');
      add(clear(out), el('p', { text: 'Give this code to your parent or carer:' }),
        el('p', { class: 'code', id: 'guardian-code', text: a.guardian_code }),
        a.guardian_code_expires ? el('p', { class: 'meta', text: `It works until ${when(a.guardian_code_expires)}. The old code no longer works.` }) : null);
    } catch (x) {
      showError(err, x);
    }
    get.disabled = false;
  });
  return el('section', { class: 'notice info', 'aria-labelledby': 'waiting-title' },
    el('h2', { id: 'waiting-title', text: 'Your account is waiting for a parent or carer' }),
    el('p', { text: 'You can chat once a parent or carer says yes. They put your code in Safeguard under Parents and carers.' }),
    el('p', { text: 'If they do not have your code any more, get a new one here and give it to them. The old code then stops working.' }),
    get, out, err);
}

// markUnread puts each chat's count beside it, in place.
function markUnread(root, counts) {
  for (const li of root.querySelectorAll('li[data-conversation]')) badge(li, counts.get(Number(li.dataset.conversation)) || 0);
}

// badge shows n new messages beside a chat's link: the number for the eye,
// the words as the link's description for a screen reader.
function badge(li, n) {
  const a = li.querySelector('a');
  const old = li.querySelector('.unread');
  if (old) old.remove();
  li.classList.toggle('has-unread', n > 0);
  if (!a || !n) {
    if (a) a.removeAttribute('aria-describedby');
    return;
  }
  const id = uid('unread');
  a.after(el('span', { class: 'unread' },
    el('span', { 'aria-hidden': 'true', text: n > 99 ? '99+' : String(n) }),
    el('span', { class: 'sr-only', id, text: n === 1 ? '1 new message' : `${n > 99 ? 'more than 99' : n} new messages` })));
  a.setAttribute('aria-describedby', id);
}

// unreadCounts counts, for each chat the server can read, the messages
// from others after the caller's read marker (at most 100, shown as 99+).
// An end-to-end encrypted chat's messages are on the device, so it has no
// count here.
async function unreadCounts(ctx, convs) {
  const out = new Map();
  await Promise.all(convs.filter(c => !c.e2ee && mineState(ctx, c) === 'joined').map(async (c) => {
    try {
      const { read } = await ctx.api.get(`/api/v1/conversations/${c.id}/read`);
      const mine = (read || []).find(r => r.handle.toLowerCase() === me(ctx));
      const page = await ctx.api.get(`/api/v1/conversations/${c.id}/messages?limit=100&after=${mine ? mine.message_id : 0}`);
      out.set(c.id, (page.messages || []).filter(m => (m.sender || '').toLowerCase() !== me(ctx)).length);
    } catch { /* a count is a nicety */ }
  }));
  return out;
}

function newGroupForm(ctx) {
  const title = el('input', { name: 'title', maxlength: 100, required: true });
  const members = el('input', { name: 'members', autocapitalize: 'none', spellcheck: 'false', required: true });
  const err = errorBox();
  const a = ctx.account || {};
  const e2ee = el('input', { type: 'checkbox', name: 'e2ee', id: uid('e2ee') });
  const form = el('form', { id: 'new-group', class: 'card', novalidate: true, 'aria-label': 'New group' },
    field('Group name', title),
    field('Who to invite', members, 'Usernames of your contacts, separated by commas, like maya.37, sam.12.'),
    a.age_band === 'adult' && a.age_assurance === 'verified'
      ? el('div', { class: 'tick' }, e2ee, el('label', { for: e2ee.id, text: 'End-to-end encrypted (everyone must be a verified adult)' })) : null,
    err,
    el('button', { type: 'submit', text: 'Create group' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    const handles = members.value.split(/[\s,]+/).map(s => s.trim()).filter(Boolean);
    if (!title.value.trim() || !handles.length) {
      showError(err, new Error('Please give the group a name and at least one person to invite.'));
      return;
    }
    await busy(form, async () => {
      try {
        const conv = await ctx.api.post('/api/v1/conversations', { members: handles, title: title.value.trim(), e2ee: e2ee.checked });
        ctx.navigate(`#/chat/${conv.id}`);
      } catch (x) {
        showError(err, x);
      }
    });
  });
  return form;
}

function drawList(ctx, root, convs, refresh, status, unread = new Map()) {
  const invited = convs.filter(c => mineState(ctx, c) === 'invited');
  const joined = convs.filter(c => mineState(ctx, c) !== 'invited');
  const act = (fn) => async (e) => {
    e.currentTarget.disabled = true;
    try { await fn(); await refresh(); } catch (x) { showError(status, x); }
  };
  const inv = invited.map((c) => {
    const id = uid('inv');
    return el('li', { dataset: { conversation: c.id } },
      el('span', { class: 'who', id, text: nameOf(ctx, c) }),
      el('div', { class: 'row' },
        el('button', { type: 'button', text: 'Join', 'aria-describedby': id, onclick: act(() => ctx.api.post(`/api/v1/conversations/${c.id}/accept`)) }),
        el('button', { type: 'button', class: 'secondary', text: 'Say no', 'aria-describedby': id, onclick: act(() => ctx.api.post(`/api/v1/conversations/${c.id}/leave`)) })));
  });
  const items = joined.map((c) => {
    // A chat holding a safety notice for this person is flagged here in
    // the notice's own words, and the notice is shown under its message in
    // the chat: one the live stream just brought, else the one the server
    // kept (safety_notice), so a notice that came while the app was
    // closed is flagged too.
    const notes = ctx.notices.get(c.id) || [];
    const flag = notes.length ? notes[notes.length - 1].notice : c.safety_notice;
    const li = el('li', { dataset: { conversation: c.id } },
      el('a', { href: `#/chat/${c.id}`, text: nameOf(ctx, c) }),
      flag ? el('strong', { class: 'flag', dataset: { notice: flag.code || '' }, text: flag.title || 'Safety message' }) : null,
      el('span', { class: 'meta', text: `${c.kind === 'group' ? 'Group' : 'Chat'}${c.e2ee ? ' · end-to-end encrypted' : ''}` }));
    badge(li, unread.get(c.id) || 0);
    return li;
  });
  root.replaceChildren(
    inv.length ? el('section', { 'aria-label': 'Invitations' }, el('h2', { text: 'Invitations' }), el('ul', { class: 'list' }, inv)) : '',
    items.length ? el('ul', { class: 'list chats' }, items)
      : el('p', { text: ctx.account && ctx.account.status === 'pending_guardian'
        ? 'No chats yet. Your chats will be here once a parent or carer says yes.'
        : 'No chats yet. Add someone you know under Contacts, then start a chat.' }));
}

// ---- One chat ----

async function chat(main, ctx, id) {
  let conv = await ctx.api.get(`/api/v1/conversations/${id}`);
  const state = {
    ctx, id, conv, e2ee: null, urls: [], seen: new Map(), next: 0, loading: false, lastRead: 0, gone: false,
    young: ctx.account && (ctx.account.age_band === 'child' || ctx.account.age_band === 'teen'),
  };
  const h1 = el('h1', { text: nameOf(ctx, conv) });
  const banner = el('div', { class: 'banner' }, encryptionBanner(conv));
  const status = errorBox();
  const older = el('button', { type: 'button', class: 'link older', text: 'Show older messages', hidden: true });
  // The list keeps its list semantics; the region around it is the live
  // log that screen readers follow.
  const log = el('ol', { class: 'log', 'aria-label': 'Messages', tabindex: 0 });
  const logRegion = el('div', { role: 'log', 'aria-label': 'Messages' }, log);
  const seen = el('p', { class: 'seen', 'aria-live': 'polite' });
  const group = conv.kind === 'group' ? groupTools(state, h1) : null;
  state.log = log; state.seenEl = seen; state.status = status; state.older = older; state.h1 = h1; state.banner = banner;
  const composeBox = el('div', { class: 'compose-box' });
  add(main, el('div', { class: 'chat' }, h1, banner, group, status, older, logRegion, seen, composeBox));

  if (conv.e2ee) {
    // E2EE hook: the keys are unlocked with a passphrase before anything
    // is read or sent.
    const ok = await unlock(state, composeBox);
    if (!ok) return () => cleanupChat(state);
    banner.append(safetyNumbers(state));
  }
  composeBox.append(compose(state));
  older.addEventListener('click', () => loadOlder(state));
  log.addEventListener('scroll', () => {
    if (log.scrollTop < 40 && state.next && !state.loading) loadOlder(state);
  });
  // Live events are taken from before the history is asked for, so none
  // falls between the two: those that come while it loads wait, and are
  // applied in the order they came once the history is drawn (a message
  // already in it is drawn once).
  const waiting = [];
  let live = false;
  const off = ctx.on((ev) => { if (live) onEvent(state, ev); else waiting.push(ev); });
  try {
    await loadNewest(state);
    await loadMarkers(state);
  } catch (x) {
    off();
    throw x;
  }
  while (waiting.length) {
    try { await onEvent(state, waiting.shift()); } catch (x) { console.error(x); }
  }
  live = true;
  const focus = () => markRead(state);
  window.addEventListener('focus', focus);
  return () => { off(); window.removeEventListener('focus', focus); cleanupChat(state); };
}

function cleanupChat(state) {
  for (const u of state.urls) URL.revokeObjectURL(u);
  state.urls = [];
}

// unlock asks for the passphrase that opens this device's keys (e2ee.js).
function unlock(state, box) {
  return new Promise((resolve) => {
    const pass = el('input', { name: 'passphrase', type: 'password', autocomplete: 'current-password', required: true });
    const err = errorBox();
    const form = el('form', { class: 'unlock', novalidate: true },
      el('p', { text: 'This chat is end-to-end encrypted. Type your passphrase to open your keys on this device.' }),
      field('Passphrase', pass), err,
      el('button', { type: 'submit', text: 'Unlock' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      showError(err, null);
      await busy(form, async () => {
        try {
          const e2 = await state.ctx.e2ee();
          await e2.unlock(pass.value);
          pass.value = '';
          state.e2ee = e2;
          form.remove();
          resolve(true);
        } catch (x) {
          showError(err, x);
        }
      });
    });
    box.append(form);
    pass.focus();
  });
}

// safetyNumbers shows, on demand, the numbers to compare with the other
// members' screens (e2ee.js works them out from the devices' keys).
function safetyNumbers(state) {
  const box = el('div', { class: 'safety-numbers' });
  const button = el('button', { type: 'button', class: 'link', text: 'Show safety numbers', 'aria-expanded': 'false' });
  button.addEventListener('click', async () => {
    if (button.getAttribute('aria-expanded') === 'true') {
      button.setAttribute('aria-expanded', 'false');
      button.textContent = 'Show safety numbers';
      box.replaceChildren(button);
      return;
    }
    button.disabled = true;
    try {
      box.replaceChildren(button, await state.e2ee.safetyNumbersView(state.id));
      button.setAttribute('aria-expanded', 'true');
      button.textContent = 'Hide safety numbers';
    } catch (x) {
      box.replaceChildren(button, el('p', { class: 'error', role: 'alert', text: x.message }));
    } finally {
      button.disabled = false;
    }
  });
  box.append(button);
  return box;
}

function groupTools(state, h1) {
  const { ctx, id } = state;
  const err = errorBox();
  const members = el('p', { class: 'meta members' });
  const drawMembers = () => {
    members.textContent = `In this group: ${(state.conv.members || []).filter(m => m.state === 'joined' || m.state === 'invited')
      .map(m => m.state === 'invited' ? `${m.handle} (invited)` : m.handle).join(', ')}`;
  };
  state.drawMembers = drawMembers;
  drawMembers();
  const title = el('input', { name: 'title', maxlength: 100, value: state.conv.title || '' });
  const rename = el('form', { novalidate: true, 'aria-label': 'Rename the group' }, field('Group name', title),
    el('button', { type: 'submit', class: 'secondary', text: 'Rename' }));
  rename.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    await busy(rename, async () => {
      try {
        state.conv = await ctx.api.patch(`/api/v1/conversations/${id}`, { title: title.value.trim() });
        h1.textContent = nameOf(ctx, state.conv);
        ctx.announce('Group renamed.');
      } catch (x) { showError(err, x); }
    });
  });
  const who = el('input', { name: 'handle', autocapitalize: 'none', spellcheck: 'false' });
  const invite = el('form', { novalidate: true, 'aria-label': 'Invite someone' }, field('Invite someone', who, 'Their whole username. They must be one of your contacts.'),
    el('button', { type: 'submit', class: 'secondary', text: 'Invite' }));
  invite.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    await busy(invite, async () => {
      try {
        state.conv = await ctx.api.post(`/api/v1/conversations/${id}/members`, { handle: who.value.trim() });
        ctx.announce(`${who.value.trim()} is invited.`);
        who.value = '';
        drawMembers();
      } catch (x) { showError(err, x); }
    });
  });
  // Leaving asks once more, in the page (no pop-up).
  const leave = el('button', { type: 'button', class: 'danger', text: 'Leave group', 'aria-expanded': 'false' });
  const sure = el('div', { class: 'confirm', hidden: true },
    el('p', { text: 'Leave this group? You will not see its messages any more.' }),
    el('div', { class: 'row' },
      el('button', { type: 'button', class: 'danger', text: 'Yes, leave', onclick: async () => {
        try {
          await ctx.api.post(`/api/v1/conversations/${id}/leave`);
          ctx.navigate('#/chats');
        } catch (x) { showError(err, x); }
      } }),
      el('button', { type: 'button', class: 'secondary', text: 'Stay', onclick: () => {
        sure.hidden = true;
        leave.setAttribute('aria-expanded', 'false');
        leave.focus();
      } })));
  leave.addEventListener('click', () => {
    sure.hidden = false;
    leave.setAttribute('aria-expanded', 'true');
    sure.querySelector('button').focus();
  });
  return el('details', { class: 'group' }, el('summary', { text: 'Group details' }), members, rename, invite, err, leave, sure);
}

// ---- Messages ----

async function loadNewest(state) {
  const page = await state.ctx.api.get(`/api/v1/conversations/${state.id}/messages?limit=30`);
  state.next = page.next || 0;
  state.older.hidden = !state.next;
  for (const m of (page.messages || []).slice().reverse()) await addMessage(state, m);
  placeNotices(state);
  state.log.scrollTop = state.log.scrollHeight;
  markRead(state);
}

async function loadOlder(state) {
  if (!state.next || state.loading) return;
  state.loading = true;
  try {
    const page = await state.ctx.api.get(`/api/v1/conversations/${state.id}/messages?limit=30&before=${state.next}`);
    const before = state.log.scrollHeight;
    for (const m of page.messages || []) await addMessage(state, m);
    state.next = page.next || 0;
    state.older.hidden = !state.next;
    state.log.scrollTop += state.log.scrollHeight - before;
    placeNotices(state);
  } catch (x) {
    showError(state.status, x);
  } finally {
    state.loading = false;
  }
}

// addMessage draws a message once, in its place by ID (in practice at the
// end for a new one, at the start for an older one), and says whether it
// drew it.
async function addMessage(state, m) {
  if (state.log.querySelector(`li.msg[data-id="${m.id}"]`)) return false;
  // Decrypting takes a moment: the same message arriving meanwhile (the
  // answer to a send and its live event) is drawn once.
  state.adding = state.adding || new Set();
  if (state.adding.has(m.id)) return false;
  state.adding.add(m.id);
  try {
    await drawMessage(state, m);
    // A notice about this message that came before it is moved under it.
    const early = state.log.querySelector(`li.notice-row[data-about="${m.id}"]`);
    if (early) state.log.querySelector(`li.msg[data-id="${m.id}"]`).after(early);
    // The history carries the notice this person was shown about a
    // message (never the sender's): it goes under that message, as the
    // live event's would.
    if (m.notice) placeNotice(state, { notice: m.notice, message: m });
    return true;
  } finally {
    state.adding.delete(m.id);
  }
}

async function drawMessage(state, m) {
  const { ctx } = state;
  const mine = m.sender.toLowerCase() === me(ctx);
  const senderId = uid('from');
  const li = el('li', { class: `msg${mine ? ' mine' : ''}`, dataset: { id: m.id, sender: m.sender } });
  li.append(el('div', { class: 'row' },
    el('span', { class: 'who', id: senderId, text: mine ? 'You' : m.sender }),
    el('span', { class: 'meta', text: when(m.created_at) })));
  let text = m.text || '';
  let image = null;
  if (m.kind === 'envelope' && state.e2ee) {
    // E2EE hook: the server holds ciphertext; this device decrypts it.
    try {
      const d = await state.e2ee.decrypt(m);
      text = d.text || '';
      image = d.image || null;
    } catch (x) {
      text = x.message || 'This message could not be decrypted on this device.';
    }
  }
  if (m.kind === 'image' || image) li.append(photo(state, m, image, mine));
  if (text) li.append(el('p', { class: 'text', text }));
  if (!mine) {
    li.append(el('div', { class: 'row' },
      el('button', { type: 'button', class: 'link', text: 'Report', 'aria-describedby': senderId,
        onclick: () => reportMessage(state, m) })));
  }
  // Before the first message with a higher ID (after the notices under
  // the one before), else at the end.
  const later = [...state.log.querySelectorAll('li.msg')].find(x => Number(x.dataset.id) > m.id);
  if (later) later.before(li);
  else state.log.append(li);
}

// photo shows an image fetched with the token. A young person sees a
// photo someone sent only after choosing "Show photo", and so does anyone
// whose copy the server marks "blurred" (it may show nudity): then the
// bytes are not even fetched until they choose, a sentence says why it is
// hidden, and "Hide photo" hides it again.
function photo(state, m, blob, mine) {
  const box = el('div', { class: 'photo' });
  const alt = mine ? 'Photo you sent' : `Photo from ${m.sender}`;
  let url = '';
  const show = async () => {
    if (!url) {
      const b = blob || await state.ctx.api.blob(`/api/v1/media/${m.media_id}`);
      url = URL.createObjectURL(b);
      state.urls.push(url);
    }
    return el('img', { src: url, alt, dataset: { state: 'shown' } });
  };
  const gated = m.blurred || (state.young && !mine);
  if (!gated) {
    show().then(img => box.replaceChildren(img), x => box.replaceChildren(el('p', { class: 'error', text: x.message })));
    return box;
  }
  return hiddenPhoto(box, m.blurred, show);
}

// hiddenPhoto draws a photo that waits for the person: a plain placeholder
// (never the photo's bytes), for a blurred one the sentence that says why,
// and one button that shows the photo or hides it again, keeping the focus.
function hiddenPhoto(box, blurred, show) {
  const why = blurred ? el('p', { class: 'warning', id: uid('why'),
    text: 'This photo might show nudity, so it is hidden. You choose whether to see it.' }) : null;
  const veil = el('div', { class: 'veil', 'aria-hidden': 'true' });
  const err = el('p', { class: 'error', role: 'alert', hidden: true });
  const button = el('button', { type: 'button', class: 'secondary', text: 'Show photo', 'aria-describedby': why ? why.id : null });
  let shown = null;
  button.addEventListener('click', async () => {
    if (shown) {
      shown.replaceWith(veil);
      shown = null;
      button.textContent = 'Show photo';
      box.classList.add('hidden-photo');
      return;
    }
    button.disabled = true;
    try {
      shown = await show();
      veil.replaceWith(shown);
      box.classList.remove('hidden-photo');
      button.textContent = 'Hide photo';
      err.hidden = true;
    } catch (x) {
      showError(err, x);
    }
    button.disabled = false;
    button.focus();
  });
  box.classList.add('hidden-photo');
  if (blurred) box.classList.add('blurred');
  add(box, why, veil, el('div', { class: 'row' }, button), err);
  return box;
}

function reportMessage(state, m) {
  const about = m.kind === 'image' ? `this photo from ${m.sender}` : `this message from ${m.sender}`;
  // The dialog quotes what is reported, as the chat shows it: on a phone
  // it covers the message.
  const shown = state.log.querySelector(`li.msg[data-id="${m.id}"] .text`);
  const opts = { quote: m.kind === 'image' ? 'A photo' : (shown ? shown.textContent : m.text || '') };
  if (state.conv.e2ee && state.e2ee) {
    // E2EE hook: a verified report carries the franking proof.
    opts.submit = (reason, note) => state.e2ee.report(state.id, m.id, reason, note);
    opts.note = false; // the server takes the revealed message, without a note
  }
  openReport(state.ctx, { message_id: m.id }, about, () => {}, opts);
}

// ---- Safety notices under the message they are about ----

function placeNotices(state) {
  const list = state.ctx.notices.get(state.id) || [];
  for (const item of list) placeNotice(state, item);
}

function placeNotice(state, item) {
  const key = `${item.notice.code}:${item.message ? item.message.id : 0}`;
  if (state.log.querySelector(`[data-key="${CSS.escape(key)}"]`)) return;
  const sender = item.message ? item.message.sender : '';
  const box = noticeView(item.notice, {
    block: sender ? (b) => blockFrom(state, sender, box, b) : null,
    report: item.message ? () => reportMessage(state, item.message) : null,
  }, { heading: 2 });
  const li = el('li', { class: 'notice-row', dataset: { key, about: item.message ? item.message.id : '' } }, box);
  const target = item.message && state.log.querySelector(`li.msg[data-id="${item.message.id}"]`);
  if (target) target.after(li);
  else if (!item.message || !state.next) state.log.append(li);
}

async function blockFrom(state, handle, box, button) {
  button.disabled = true;
  try {
    const res = await state.ctx.api.post('/api/v1/blocks', { handle });
    box.append(el('p', { class: 'ok', role: 'status', text: `You blocked ${handle}.` }), ...noticeList(res && res.notices, {}, { heading: 3 }));
    button.remove();
  } catch (x) {
    button.disabled = false;
    box.append(el('p', { class: 'error', role: 'alert', text: x.message }));
  }
}

// ---- Sending ----

function compose(state) {
  const { ctx, id } = state;
  const text = el('textarea', { name: 'text', rows: 1, maxlength: 16000, autocomplete: 'off' });
  const file = el('input', { type: 'file', name: 'image', accept: 'image/png,image/jpeg,image/gif,image/webp' });
  const err = errorBox();
  const form = el('form', { class: 'compose', novalidate: true },
    field('Message', text),
    el('div', { class: 'file' }, el('label', { for: file.id = uid('photo'), text: 'Add a photo' }), file),
    el('button', { type: 'submit', text: 'Send' }),
    err);
  // The text box stays enabled while a message goes, so the focus stays
  // in it; the Send button and the photo picker wait.
  const sendButton = form.querySelector('button[type=submit]');
  const send = async (body) => {
    if (form.getAttribute('aria-busy') === 'true') return;
    const had = document.activeElement;
    form.setAttribute('aria-busy', 'true');
    sendButton.disabled = true;
    file.disabled = true;
    showError(err, null);
    let ask = null;
    try {
      let m;
      if (state.e2ee) {
        // E2EE hooks: e.send(convId, text) and e.sendImage(convId, file).
        m = body instanceof FormData ? await state.e2ee.sendImage(id, body.get('image'), body.get('text') || '') : await state.e2ee.send(id, body.text);
      } else {
        m = await ctx.api.post(`/api/v1/conversations/${id}/messages`, body);
      }
      // Clear only what was sent: anything typed meanwhile stays.
      const sent = body instanceof FormData ? (body.get('text') || '') : body.text;
      if (text.value === sent) text.value = '';
      file.value = '';
      if (m && m.id) {
        await addMessage(state, m);
        state.log.scrollTop = state.log.scrollHeight;
      }
    } catch (x) {
      // A photo that may show nudity, between young people: the server
      // asks the sender to think first, and sends it only when asked again.
      if (x.code === 'confirm_image' && body instanceof FormData && !body.has('confirm')) ask = x;
      else showError(err, x);
    } finally {
      form.removeAttribute('aria-busy');
      sendButton.disabled = false;
      file.disabled = false;
      if (document.activeElement === document.body) text.focus();
    }
    if (!ask) return;
    if (await thinkFirst(ask.message, had && had !== document.body ? had : text)) {
      await send(confirmed(body));
    } else {
      // Nothing is sent; the words typed stay, and the same photo can be
      // chosen again.
      file.value = '';
      ctx.announce('The photo was not sent.');
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!text.value.trim()) {
      showError(err, new Error('Type a message first.'));
      text.focus();
      return;
    }
    send({ text: text.value });
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  file.addEventListener('change', () => {
    if (!file.files.length) return;
    const fd = new FormData();
    fd.append('image', file.files[0]);
    if (text.value.trim()) fd.append('text', text.value);
    send(fd);
  });
  return form;
}

// confirmed is the same photo and caption again, with confirm=true.
function confirmed(body) {
  const fd = new FormData();
  fd.append('confirm', 'true');
  for (const [k, v] of body.entries()) if (k !== 'confirm') fd.append(k, v);
  return fd;
}

// Where to get help, as the server's notice nudity_confirm gives it
// (internal/notice): the 409 answer is its sentence alone, so the think
// first dialog is the one place the app lists help of its own.
const thinkHelp = [
  { label: 'Call Childline free on 0800 1111', phone: '0800 1111' },
  { label: 'Chat to a Childline counsellor online', url: 'https://www.childline.org.uk/get-support/1-2-1-counsellor-chat/' },
  { label: 'Report Remove: get a picture of you taken down', url: 'https://www.childline.org.uk/info-advice/bullying-abuse-safety/online-mobile-safety/remove-nude-image-shared-online/' },
];

// thinkFirst asks, in a modal dialog, whether to send a photo the server
// says may show nudity: the server's words, Childline and Report Remove,
// and "Don't send" (focused first, and what Escape does) or "Send anyway".
// The photo itself is not shown. It resolves to true for "Send anyway";
// the focus goes back to back (where it was when the photo was sent).
function thinkFirst(message, back) {
  const title = uid('think');
  const words = uid('think');
  return new Promise((resolve) => {
    let go = false;
    const no = el('button', { type: 'button', text: "Don't send" });
    const yes = el('button', { type: 'button', class: 'secondary', text: 'Send anyway' });
    const dlg = el('dialog', { class: 'think', 'aria-labelledby': title, 'aria-describedby': words },
      el('h2', { id: title, text: 'Think before you send' }),
      el('p', { id: words, text: message }),
      noticeLinks(thinkHelp),
      el('div', { class: 'row' }, no, yes));
    no.addEventListener('click', () => dlg.close());
    yes.addEventListener('click', () => { go = true; dlg.close(); });
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (back.isConnected) back.focus();
      resolve(go);
    });
    document.body.append(dlg);
    dlg.showModal();
    no.focus();
  });
}

// ---- Read markers ----

async function loadMarkers(state) {
  try {
    const { read } = await state.ctx.api.get(`/api/v1/conversations/${state.id}/read`);
    for (const r of read || []) state.seen.set(r.handle.toLowerCase(), r);
    drawSeen(state);
  } catch { /* markers are a nicety */ }
}

function newestId(state) {
  const last = [...state.log.querySelectorAll('li.msg')].pop();
  return last ? Number(last.dataset.id) : 0;
}

async function markRead(state) {
  const newest = newestId(state);
  // Only what is on the screen is read: never by a chat left while it
  // still loaded.
  if (!newest || newest <= state.lastRead || document.visibilityState !== 'visible' || !state.log.isConnected) return;
  state.lastRead = newest;
  try {
    await state.ctx.api.post(`/api/v1/conversations/${state.id}/read`, { message_id: newest });
  } catch { /* the next message tries again */ }
}

// drawSeen says who has read up to the caller's newest message.
function drawSeen(state) {
  const mine = [...state.log.querySelectorAll('li.msg.mine')].pop();
  if (!mine) { state.seenEl.textContent = ''; return; }
  const id = Number(mine.dataset.id);
  const who = [...state.seen.values()].filter(r => r.handle.toLowerCase() !== me(state.ctx) && r.message_id >= id).map(r => r.handle);
  state.seenEl.textContent = who.length ? `Seen by ${who.join(', ')}` : '';
}

// ---- Live events ----

async function onEvent(state, ev) {
  const convId = (ev.message && ev.message.conversation_id) || (ev.conversation && ev.conversation.id) || 0;
  if (ev.type === 'resync') {
    try {
      state.conv = await state.ctx.api.get(`/api/v1/conversations/${state.id}`);
      const page = await state.ctx.api.get(`/api/v1/conversations/${state.id}/messages?limit=30`);
      for (const m of (page.messages || []).slice().reverse()) await addMessage(state, m);
      placeNotices(state);
    } catch (x) {
      showError(state.status, x);
    }
    return;
  }
  if (ev.type === 'message.created' && convId === state.id) {
    const atBottom = state.log.scrollHeight - state.log.scrollTop - state.log.clientHeight < 80;
    const drawn = await addMessage(state, ev.message);
    if (atBottom) state.log.scrollTop = state.log.scrollHeight;
    if (drawn && ev.message.sender.toLowerCase() !== me(state.ctx)) state.ctx.announce(`New message from ${ev.message.sender}`);
    drawSeen(state);
    markRead(state);
  } else if (ev.type === 'safety.notice' && convId === state.id) {
    placeNotice(state, { notice: ev.notice, message: ev.message || null });
    state.ctx.announce(ev.notice.title || 'A safety message');
  } else if (ev.type === 'conversation.read' && ev.read && (ev.conversation ? ev.conversation.id === state.id : true)) {
    state.seen.set(ev.read.handle.toLowerCase(), ev.read);
    drawSeen(state);
  } else if ((ev.type === 'conversation.member' || ev.type === 'conversation.changed' || ev.type === 'conversation.e2ee_ended') && convId === state.id) {
    // An end-to-end encrypted chat that takes no more messages says why in
    // its banner (the notice e2ee_ended).
    memberChanged(state, ev.conversation);
  }
}

function memberChanged(state, conv) {
  const mine = mineState(state.ctx, conv);
  if (mine === 'left' || mine === 'removed') {
    state.gone = true;
    state.status.hidden = false;
    state.status.textContent = 'You are no longer in this chat.';
    for (const f of document.querySelectorAll('main form')) f.remove();
    return;
  }
  state.conv = { ...state.conv, ...conv };
  state.h1.textContent = nameOf(state.ctx, state.conv);
  if (conv.notice && conv.notice.text) state.banner.replaceChildren(encryptionBanner(state.conv));
  if (state.drawMembers) state.drawMembers();
}
