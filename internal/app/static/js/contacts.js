// Contacts: add someone by username, answer requests, start a chat,
// block, unblock and report — each one step from the contact.

import { el, add, field, errorBox, showError, busy } from './dom.js';
import { noticeList, noticeView } from './notices.js';
import { openReport } from './report.js';

export async function render(main, ctx) {
  const handle = el('input', { name: 'to', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  const err = errorBox();
  const result = el('div', { class: 'result', role: 'status' });
  const form = el('form', { class: 'add', novalidate: true },
    field('Add someone', handle, 'Type their whole username, like maya.37. They need to say yes.'),
    err,
    el('button', { type: 'submit', text: 'Send request' }));
  const lists = el('div', { class: 'lists' });
  const status = errorBox();
  // A child waiting for a parent or carer cannot add anyone yet: the page
  // says what Chats says, instead of a form that would be refused.
  const pending = ctx.account && ctx.account.status === 'pending_guardian';
  add(main, el('h1', { text: 'Contacts' }),
    pending ? el('p', { class: 'notice info', id: 'contacts-waiting', text: 'Your account is waiting for a parent or carer. You can add people once they say yes. Your code for them is on your Chats page.' }) : form,
    result, status, lists);

  const refresh = async () => {
    try {
      draw(ctx, lists, await ctx.api.get('/api/v1/contacts'), refresh, status);
    } catch (x) {
      showError(status, x);
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    result.replaceChildren();
    const to = handle.value.trim();
    if (!to) {
      showError(err, new Error('Please type a username.'));
      return;
    }
    await busy(form, async () => {
      try {
        const c = await ctx.api.post('/api/v1/contacts', { to });
        handle.value = '';
        const said = c.state === 'awaiting_guardian'
          ? `Your request to ${c.handle} waits for your parent or carer to say yes.`
          : `Request sent to ${c.handle}. They need to say yes.`;
        result.append(el('p', { class: 'ok', text: said }), ...noticeList(c.notices, {}, { heading: 2 }));
        await refresh();
      } catch (x) {
        showError(err, x);
      }
    });
    handle.focus();
  });

  await refresh();
  return ctx.on((ev) => {
    if (ev.type && (ev.type.startsWith('contact.') || ev.type === 'resync')) refresh();
  });
}

function verifiedAdult(ctx) {
  const a = ctx.account || {};
  return a.age_band === 'adult' && a.age_assurance === 'verified';
}

function section(title, items, empty) {
  return el('section', { 'aria-label': title },
    el('h2', { text: title }),
    items.length ? el('ul', { class: 'list' }, items) : el('p', { class: 'meta', text: empty }));
}

function button(text, cls, onclick, describedBy) {
  return el('button', { type: 'button', class: cls, text, onclick, 'aria-describedby': describedBy });
}

// draw lists requests for the account, contacts, requests it sent and
// whom it blocked.
function draw(ctx, root, data, refresh, status) {
  const act = (fn) => async (e) => {
    const b = e.currentTarget;
    b.disabled = true;
    showError(status, null);
    try {
      await fn();
      await refresh();
    } catch (x) {
      b.disabled = false;
      showError(status, x);
    }
  };
  const blockById = (c) => act(async () => {
    const res = await ctx.api.post(`/api/v1/contacts/${c.id}/block`);
    showBlocked(ctx, root, c.handle, res);
  });
  const blockByHandle = (h) => act(async () => {
    const res = await ctx.api.post('/api/v1/blocks', { handle: h });
    showBlocked(ctx, root, h, res);
  });
  const report = (h) => () => openReport(ctx, { account: h }, `the account ${h}`, refresh);

  const incoming = (data.incoming || []).map((c) => {
    const who = `who-in-${c.id}`;
    return el('li', { dataset: { handle: c.handle } },
      el('span', { class: 'who', id: who, text: c.handle }),
      el('div', { class: 'row' },
        button('Accept', '', act(() => ctx.api.post(`/api/v1/contacts/${c.id}/accept`)), who),
        button('Decline', 'secondary', act(() => ctx.api.post(`/api/v1/contacts/${c.id}/decline`)), who),
        button('Block', 'danger', blockById(c), who),
        button('Report', 'secondary', report(c.handle), who)),
      (c.notices || []).map(n => noticeView(n, {}, { heading: 3 })));
  });
  const contacts = (data.contacts || []).map((c) => {
    const who = `who-c-${c.id}`;
    return el('li', { dataset: { handle: c.handle } },
      el('span', { class: 'who', id: who, text: c.handle }),
      el('div', { class: 'row' },
        button('Chat', '', act(async () => {
          const conv = await ctx.api.post('/api/v1/conversations', { members: [c.handle], e2ee: false });
          ctx.navigate(`#/chat/${conv.id}`);
        }), who),
        // Only verified adults may have an encrypted chat; the server
        // says so in words if the other is not one.
        verifiedAdult(ctx) ? button('Encrypted chat', 'secondary', act(async () => {
          const conv = await ctx.api.post('/api/v1/conversations', { members: [c.handle], e2ee: true });
          ctx.navigate(`#/chat/${conv.id}`);
        }), who) : null,
        button('Block', 'danger', blockByHandle(c.handle), who),
        button('Report', 'secondary', report(c.handle), who)));
  });
  const outgoing = (data.outgoing || []).map(c => el('li', { dataset: { handle: c.handle } },
    el('span', { class: 'who', text: c.handle }),
    el('span', { class: 'meta', text: c.state === 'awaiting_guardian' ? 'Waiting for your parent or carer' : 'Waiting for them to say yes' })));
  const blocked = (data.blocked || []).map((h, i) => {
    const who = `who-b-${i}`;
    return el('li', { dataset: { handle: h } },
      el('span', { class: 'who', id: who, text: h }),
      button('Unblock', 'secondary', act(() => ctx.api.del(`/api/v1/blocks/${encodeURIComponent(h)}`)), who));
  });
  const keep = root.querySelector('.blocked-note');
  root.replaceChildren(
    keep || '',
    section('Requests for you', incoming, 'Nobody is waiting for an answer.'),
    section('Your contacts', contacts, 'No contacts yet. Add someone you know in real life.'),
    section('Requests you sent', outgoing, 'None waiting.'),
    section('Blocked', blocked, 'You have not blocked anyone.'));
}

function showBlocked(ctx, root, handle, res) {
  const note = el('div', { class: 'blocked-note', role: 'status' },
    el('p', { class: 'ok', text: `You blocked ${handle}.` }),
    noticeList(res && res.notices, {}, { heading: 2 }));
  const old = root.querySelector('.blocked-note');
  if (old) old.replaceWith(note);
  else root.prepend(note);
  ctx.announce(`You blocked ${handle}.`);
}
