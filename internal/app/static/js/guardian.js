// Parents and carers: link a child's account with the code the child was
// given ("Become guardian"), then, for each child, approve or decline each
// new contact (seeing who is asking and whether they are an adult) and see
// who the child's contacts are — never their messages. For a child under
// 13 who has forgotten their password, "Reset code" gives a one-time code
// the child types on the log-in page (#/reset) with a new password.
//
// watch(ctx), called once a session starts, keeps the "Parents and carers"
// link in the navigation saying how many requests wait, and says so aloud
// when a live contact.awaiting_guardian event arrives.
//
// Route: #/guardian.

import { el, field, errorBox, showError, busy, when, uid } from './dom.js';

const bands = { child: 'under 13', teen: '13 to 17', adult: 'adult' };

export function render(main, ctx) {
  if (ctx.account && ctx.account.age_band && ctx.account.age_band !== 'adult') return forYoungPeople(main);
  const code = el('input', { name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true });
  const err = errorBox();
  const done = el('p', { class: 'ok', role: 'status', hidden: true });
  const form = el('form', { novalidate: true, id: 'link-child' },
    field("Child's code", code, 'The code your child was shown when they made their account, like K7QM-2XRD-9FTA. If they no longer have it, they can get a new one on their Chats page when they log in (the old code then stops working).'),
    err,
    el('button', { type: 'submit', text: 'Become guardian' }));
  const children = el('div', { id: 'children', 'aria-live': 'polite' }, el('p', { text: 'Loading your children…' }));
  const loadErr = errorBox();

  const load = async () => {
    showError(loadErr, null);
    try {
      const [c, r, k] = await Promise.all([
        ctx.api.get('/api/v1/guardian/children'),
        ctx.api.get('/api/v1/guardian/requests'),
        ctx.api.get('/api/v1/guardian/contacts'),
      ]);
      const requests = r.requests || [];
      showCount(requests.length);
      children.replaceChildren(...childList(ctx, c.children || [], requests, k.contacts || [], load, loadErr));
    } catch (x) {
      showError(loadErr, x);
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    done.hidden = true;
    if (!code.value.trim()) {
      showError(err, new Error("Please type your child's code."));
      return;
    }
    await busy(form, async () => {
      try {
        const child = await ctx.api.post('/api/v1/guardian/link', { code: code.value.trim() });
        code.value = '';
        done.textContent = `You are now ${child.handle}'s guardian. Their account is ready to use. You will be asked about each new contact.`;
        done.hidden = false;
        await load();
      } catch (x) {
        showError(err, x);
      }
    });
  });

  const titled = (title, ...kids) => {
    const id = uid('sec');
    return el('section', { 'aria-labelledby': id }, el('h2', { id, text: title }), ...kids);
  };
  main.append(
    el('h1', { text: 'Parents and carers' }),
    el('p', { text: "Children under 13 need a parent or carer to say yes before they can chat, and before each new contact. You see who your child's contacts are. You never see their messages." }),
    titled('Your children', loadErr, children),
    titled("Link your child's account",
      ctx.account && ctx.account.age_assurance !== 'verified' ? verifyFirst(ctx) : null, form, done));

  load();
  const stop = ctx.on((ev) => {
    if (ev.type === 'contact.awaiting_guardian' || ev.type === 'contact.accepted' || ev.type === 'guardian.changed' || ev.type === 'resync') load();
  });
  return stop;
}

// verifyFirst tells an adult whose age is not verified what linking a
// child needs first, and how to get there.
function verifyFirst(ctx) {
  return el('div', { class: 'notice info', id: 'verify-first' },
    el('p', { text: 'Before you can link a child, the Safeguard team needs to check that you are an adult. Only an adult whose age has been checked can be a parent or carer here.' }),
    ctx.reach('To get your age checked, ask the Safeguard team; they will tell you what they need to see.'));
}

// forYoungPeople tells a child or teen what this page is, and what a
// parent or carer can and cannot see of them.
function forYoungPeople(main) {
  main.append(
    el('h1', { text: 'Parents and carers' }),
    el('p', { text: 'This part of Safeguard is for parents and carers.' }),
    el('p', { text: 'If you are under 13, a parent or carer says yes before you can chat, and before each new contact. They can see who your contacts are. They never see your messages.' }),
    el('p', { text: 'If something online worries you, you can talk to Childline for free on 0800 1111, any time.' }));
}

// childList is a part for each child: what waits for the guardian, then
// the child's contacts.
function childList(ctx, kids, requests, contacts, reload, err) {
  if (!kids.length) {
    return [el('p', { text: "No children are linked to your account yet. When your child makes an account, they are given a code: type it below." })];
  }
  return kids.map(c => {
    const id = uid('child');
    const mine = requests.filter(r => r.child === c.handle);
    const theirs = contacts.filter(k => k.child === c.handle);
    return el('section', { class: 'child', 'aria-labelledby': id, dataset: { child: c.handle } },
      el('h3', { id, class: 'who', text: c.handle }),
      el('p', { class: 'meta', text: [bands[c.age_band] ? `Age ${bands[c.age_band]}` : '', c.status === 'active' ? 'account active' : c.status].filter(Boolean).join(' · ') }),
      el('h4', { text: 'Waiting for you' }),
      mine.length
        ? el('ul', { class: 'list requests' }, mine.map(r => requestItem(ctx, r, reload, err)))
        : el('p', { text: 'Nothing is waiting for you.' }),
      el('h4', { text: `${c.handle}'s contacts` }),
      theirs.length
        ? el('ul', { class: 'list contacts' }, theirs.map(contactItem))
        : el('p', { text: 'No contacts yet.' }),
      c.age_band === 'child' ? resetPart(ctx, c) : null);
  });
}

// resetPart gives a one-time password reset code for a child under 13 and
// shows it once, with what the child does with it.
function resetPart(ctx, c) {
  const id = uid('reset');
  const err = errorBox();
  const shown = el('div', { class: 'reset-code', role: 'status', hidden: true });
  const button = el('button', { type: 'button', class: 'secondary', text: 'Reset code', 'aria-describedby': id });
  button.addEventListener('click', async () => {
    showError(err, null);
    button.disabled = true;
    try {
      const r = await ctx.api.post(`/api/v1/guardian/children/${encodeURIComponent(c.handle)}/reset-code`);
      shown.replaceChildren(
        el('p', { text: `Reset code for ${r.handle}:` }),
        el('p', { class: 'code', text: r.code }),
        el('p', { text: `It works once, until ${when(r.expires_at)}. On the log-in page, ${r.handle} chooses "I have a reset code" and types it with a new password. Then every other device ${r.handle} is logged in on is logged out.` }));
      shown.hidden = false;
    } catch (x) {
      showError(err, x);
    } finally {
      button.disabled = false;
    }
  });
  return el('div', { class: 'reset' },
    el('h4', { text: 'Forgotten password' }),
    el('p', { id, text: `If ${c.handle} has forgotten their password, get a reset code for them. A new code replaces the last one.` }),
    button, err, shown);
}

// requestItem is one contact request of a child, with who it is and
// whether they are an adult, and the guardian's two answers.
function requestItem(ctx, r, reload, err) {
  const id = uid('req');
  const asks = r.direction === 'incoming' ? `${r.other} wants to add ${r.child}` : `${r.child} wants to add ${r.other}`;
  const who = r.other_adult ? `${r.other} is an adult.` : `${r.other} is not an adult.`;
  const text = el('div', { id },
    el('p', { class: 'who', text: asks }),
    el('p', { class: r.other_adult ? 'adult' : '', text: who }),
    el('p', { class: 'meta', text: `Asked ${when(r.created_at)}` }));
  const approve = el('button', { type: 'button', text: 'Approve', 'aria-describedby': id });
  const decline = el('button', { type: 'button', class: 'secondary', text: 'Decline', 'aria-describedby': id });
  const li = el('li', { dataset: { request: String(r.id), other: r.other } }, text, el('div', { class: 'row' }, approve, decline));
  const answer = (yes) => async () => {
    showError(err, null);
    approve.disabled = decline.disabled = true;
    try {
      await ctx.api.post(`/api/v1/guardian/requests/${encodeURIComponent(r.id)}/${yes ? 'approve' : 'decline'}`);
      ctx.announce(yes
        ? `Approved. ${r.direction === 'incoming' ? r.child : r.other} now sees the request and can accept it.`
        : `Declined. ${r.child} and ${r.other} are not contacts.`);
      await reload();
    } catch (x) {
      approve.disabled = decline.disabled = false;
      showError(err, x);
    }
  };
  approve.addEventListener('click', answer(true));
  decline.addEventListener('click', answer(false));
  return li;
}

function contactItem(k) {
  return el('li', { dataset: { contact: k.handle } },
    el('span', { class: 'who', text: k.handle }),
    el('span', { class: 'meta', text: `${k.adult ? 'Adult' : 'Young person'} · contacts since ${when(k.since)}` }));
}

// showCount shows how many requests wait beside the navigation's link,
// which keeps its name ("Parents and carers") and is described by the count.
function showCount(n) {
  const link = document.querySelector('nav a[href="#/guardian"]');
  if (!link) return;
  let badge = document.getElementById('guardian-waiting');
  if (!n) {
    if (badge) badge.remove();
    link.removeAttribute('aria-describedby');
    return;
  }
  if (!badge) {
    badge = el('span', { class: 'badge', id: 'guardian-waiting' });
    link.after(badge);
  }
  badge.textContent = `${n} waiting`;
  link.setAttribute('aria-describedby', badge.id);
}

let watching = false;

// watch keeps the navigation's count of waiting requests up to date for
// the session, and announces a new one. It reads the requests once now, and
// again on each contact.awaiting_guardian event.
export function watch(ctx) {
  const check = async (fresh) => {
    if (!ctx.account) return;
    try {
      const r = await ctx.api.get('/api/v1/guardian/requests');
      const n = (r.requests || []).length;
      showCount(n);
      if (fresh && n) {
        ctx.announce(n === 1
          ? 'A contact request for your child is waiting for you. Open Parents and carers to approve or decline it.'
          : `${n} contact requests for your children are waiting for you. Open Parents and carers to answer them.`);
      }
    } catch { /* the count is a help, not the page: the page shows errors */ }
  };
  check(false);
  if (watching) return;
  watching = true;
  ctx.on((ev) => {
    if (ev.type === 'contact.awaiting_guardian') check(true);
    else if (ev.type === 'resync') check(false);
  });
}
