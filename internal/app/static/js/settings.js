// Settings: change the password, see where the account is logged in and
// log out everywhere, download one's data, delete the account (after being
// shown what is kept and why); and, without a session, the page that
// redeems a one-time password reset code (#/reset).
//
// Routes: #/settings, #/settings/delete, #/reset.

import { el, field, errorBox, showError, busy, when, uid } from './dom.js';

export function render(main, ctx) {
  if (ctx.route.name === 'reset') return resetPage(main, ctx);
  if (ctx.route.id === 'delete') return deletePage(main, ctx);
  return settingsPage(main, ctx);
}

// section makes a titled part of a page, named by its heading.
function section(title, ...kids) {
  const id = uid('sec');
  return el('section', { 'aria-labelledby': id }, el('h2', { id, text: title }), ...kids);
}

// status is a line that says what just happened, read out when it changes.
function status() {
  return el('p', { class: 'ok', role: 'status', hidden: true });
}

function say(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

function settingsPage(main, ctx) {
  const a = ctx.account || {};
  const sessions = sessionsSection(ctx);
  main.append(
    el('h1', { text: 'Settings' }),
    el('p', {}, 'You are logged in as ', el('strong', { class: 'who', text: a.handle || '' }), '.'),
    passwordSection(ctx, sessions.load),
    sessions.node,
    exportSection(ctx),
    section('Delete your account',
      el('p', { text: 'Deleting your account removes you from Safeguard. Before you confirm, we show you what is deleted and what we have to keep, and why.' }),
      el('p', {}, el('a', { class: 'button secondary', href: '#/settings/delete', text: 'Delete my account' }))));
}

// passwordSection changes the password; the server ends every other session.
function passwordSection(ctx, changed) {
  const current = el('input', { name: 'current_password', type: 'password', autocomplete: 'current-password', required: true });
  const next = el('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const err = errorBox();
  const done = status();
  const form = el('form', { novalidate: true },
    field('Current password', current),
    field('New password', next, 'At least 10 characters. A few words together are easy to remember.'),
    err,
    el('button', { type: 'submit', text: 'Change password' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    say(done, '');
    if (!current.value || !next.value) {
      showError(err, new Error('Please type your current password and a new one.'));
      return;
    }
    await busy(form, async () => {
      try {
        await ctx.api.post('/api/v1/me/password', { current_password: current.value, new_password: next.value });
        current.value = '';
        next.value = '';
        say(done, 'Your password has been changed. Anywhere else you were logged in has been logged out; you are still logged in here.');
        changed();
      } catch (x) {
        showError(err, x);
      }
    });
  });
  return section('Change your password', form, done);
}

// sessionsSection lists where the account is logged in, ends one of them,
// or all of them (this one too). load reads the list again.
function sessionsSection(ctx) {
  const list = el('ul', { class: 'list', 'aria-live': 'polite' });
  const err = errorBox();
  const done = status();
  const load = async () => {
    showError(err, null);
    try {
      const out = await ctx.api.get('/api/v1/sessions');
      list.replaceChildren(...(out.sessions || []).map(s => sessionItem(ctx, s, load, err, done)));
      if (!list.children.length) list.append(el('li', { text: 'No sessions.' }));
    } catch (x) {
      showError(err, x);
    }
  };
  const everywhere = el('button', { type: 'button', class: 'danger', text: 'Log out everywhere' });
  const hint = el('p', { class: 'hint', id: uid('hint'), text: 'Ends every session of your account, on every phone and computer, this one too. Do this if you think someone else knows your password.' });
  everywhere.setAttribute('aria-describedby', hint.id);
  everywhere.addEventListener('click', async () => {
    showError(err, null);
    everywhere.disabled = true;
    try {
      await ctx.api.del('/api/v1/sessions');
      ctx.logout('You have been logged out everywhere, on this device too.');
    } catch (x) {
      everywhere.disabled = false;
      showError(err, x);
    }
  });
  load();
  return { node: section('Where you are logged in', list, err, done, hint, el('p', {}, everywhere)), load };
}

function sessionItem(ctx, s, reload, err, done) {
  const id = uid('session');
  const where = [s.app ? `the ${s.app} app` : 'Safeguard', s.address ? `from ${s.address}` : ''].filter(Boolean).join(', ');
  const details = [`logged in ${when(s.created_at)}`];
  if (s.last_used_at) details.push(`last used ${when(s.last_used_at)}`);
  const text = el('div', { id },
    el('p', { class: 'who', text: s.current ? 'This device' : 'Another device' }),
    el('p', { class: 'meta', text: `${where}; ${details.join(', ')}` }));
  const li = el('li', { dataset: { session: String(s.id) } }, text);
  if (!s.current) {
    const end = el('button', { type: 'button', class: 'secondary', text: 'End session', 'aria-describedby': id });
    end.addEventListener('click', async () => {
      showError(err, null);
      end.disabled = true;
      try {
        await ctx.api.del(`/api/v1/sessions/${encodeURIComponent(s.id)}`);
        say(done, `The session on ${where} has ended.`);
        reload();
      } catch (x) {
        end.disabled = false;
        showError(err, x);
      }
    });
    li.append(end);
  }
  return li;
}

// exportSection downloads GET /api/v1/me/export as a file.
function exportSection(ctx) {
  const err = errorBox();
  const done = status();
  const button = el('button', { type: 'button', class: 'secondary', text: 'Download my data' });
  button.addEventListener('click', async () => {
    showError(err, null);
    say(done, '');
    button.disabled = true;
    try {
      const res = await ctx.api.request('GET', '/api/v1/me/export', undefined, { raw: true });
      const blob = await res.blob();
      const name = fileName(res.headers.get('Content-Disposition'), ctx.account);
      save(blob, name);
      say(done, `Your data has been saved as ${name}.`);
    } catch (x) {
      showError(err, x);
    } finally {
      button.disabled = false;
    }
  });
  return section('Your data',
    el('p', { text: 'Download a copy of what Safeguard holds about you: your account, contacts, blocks, chats and the messages you can read. It is a JSON file, which other apps can read too.' }),
    el('p', {}, button), err, done);
}

// fileName takes the file name the server suggests, or makes one.
function fileName(disposition, account) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || '');
  if (m) {
    const name = decodeURIComponent(m[1]).replace(/[/\\]/g, '_').trim();
    if (name) return name;
  }
  const who = (account && account.handle) || 'account';
  return `safeguard-${who}-${new Date().toISOString().slice(0, 10)}.json`;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// deletePage shows what deleting keeps and why, then deletes with the
// password.
async function deletePage(main, ctx) {
  const h1 = el('h1', { text: 'Delete your account' });
  const body = el('div', {}, el('p', { text: 'Finding out what deleting your account keeps…' }));
  main.append(h1, body);
  let plan;
  try {
    plan = await ctx.api.get('/api/v1/me/deletion');
  } catch (x) {
    const err = errorBox();
    showError(err, x);
    body.replaceChildren(err, el('p', {}, el('a', { href: '#/settings', text: 'Back to settings' })));
    return;
  }
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const sure = el('input', { type: 'checkbox', name: 'confirm', id: uid('sure') });
  const err = errorBox();
  const form = el('form', { novalidate: true, id: 'delete-account' },
    el('p', { text: 'To delete your account, type your password.' }),
    field('Password', password),
    el('div', { class: 'check' }, sure, el('label', { for: sure.id, text: 'I understand that my account is deleted for good and cannot be brought back' })),
    err,
    el('div', { class: 'row' },
      el('button', { type: 'submit', class: 'danger', text: 'Delete my account' }),
      el('a', { href: '#/settings', text: 'Keep my account' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    if (!password.value) {
      showError(err, new Error('Please type your password.'));
      return;
    }
    if (!sure.checked) {
      showError(err, new Error('Please tick the box to say you understand the account cannot be brought back.'));
      return;
    }
    await busy(form, async () => {
      try {
        await ctx.api.del('/api/v1/me', { password: password.value, confirm: true });
        password.value = '';
        ctx.logout('Your account has been deleted. We keep only what we told you we must keep, for as long as we said.');
      } catch (x) {
        showError(err, x);
      }
    });
  });
  const a = ctx.account || {};
  const young = a.age_band === 'child' || a.age_band === 'teen';
  const detail = [
    section('What we keep, and why', el('p', { text: 'Some things must be kept for a while, by law or to keep children safe. Nobody can use them to log in as you.' }),
      items(plan.kept, 'kept')),
    section('What we delete', items(plan.deleted, 'deleted'))];
  body.replaceChildren(
    el('p', { text: 'Please read this first. When you delete your account, you cannot log in again and nobody can find you on Safeguard.' }),
    ...(young ? youngWords(a, detail) : detail),
    el('p', { id: 'who-is-told', text: whoIsTold(a) }),
    form);
}

// youngWords says what deleting does in plain words for a child or teen,
// with the full list (the law, the legal hold) one click away.
function youngWords(a, detail) {
  return [
    section('What happens', el('ul', { class: 'plan', id: 'deletion-plain' },
      el('li', { text: 'Your chats, contacts and messages are deleted. Nobody can message you here any more.' }),
      el('li', { text: 'We keep a few things for a while, like reports about messages, because the law says we must, to keep children safe. Nobody can use them to log in as you.' }),
      el('li', { text: 'Your username stays taken, so nobody else can pretend to be you.' }))),
    el('details', { class: 'detail' }, el('summary', { text: 'Show the full list of what we keep and delete' }), ...detail),
    el('p', { text: 'Not sure? You can talk to a parent or carer, or to Childline for free on 0800 1111, any time.' }),
  ];
}

// whoIsTold says whether anyone hears of the deletion: a child under 13's
// parent or carer (who approved the account) is told; nobody else is.
function whoIsTold(a) {
  if (a.age_band === 'child' && a.status === 'active') return 'Your parent or carer who said yes to your account will be told that you deleted it. Nobody else is told.';
  return 'We do not send anyone a message about it.';
}

// items lists what deletion deletes or keeps: what, why and until when.
function items(list, kind) {
  if (!list || !list.length) {
    return el('p', { text: kind === 'kept' ? 'Nothing is kept.' : 'Nothing.' });
  }
  return el('ul', { class: `plan ${kind}`, id: `deletion-${kind}` }, list.map(i => {
    if (typeof i === 'string') return el('li', { text: i });
    if (!i.why && !i.until) return el('li', { text: i.what || '' });
    const until = i.until ? untilText(i.until) : '';
    return el('li', {},
      el('strong', { text: i.what || '' }),
      i.why ? el('span', { text: ` — ${i.why}` }) : null,
      until ? el('span', { class: 'meta', text: ` (${until})` }) : null);
  }));
}

function untilText(until) {
  const d = new Date(until);
  if (/^\d{4}-\d{2}-\d{2}/.test(until) && !Number.isNaN(d.getTime())) {
    return `kept until ${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })}`;
  }
  return String(until);
}

// resetPage redeems a one-time reset code an operator gave.
function resetPage(main, ctx) {
  const handle = el('input', { name: 'handle', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true,
    value: ctx.route.params.get('handle') || '' });
  const code = el('input', { name: 'code', autocomplete: 'one-time-code', autocapitalize: 'characters', spellcheck: 'false', required: true });
  const next = el('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const err = errorBox();
  const form = el('form', { novalidate: true },
    field('Username', handle, 'Your whole username, with the dot and number, like maya.37.'),
    field('Reset code', code, 'The one-time code the Safeguard team, or your parent or carer, gave you. Or one of your recovery codes.'),
    field('New password', next, 'At least 10 characters. A few words together are easy to remember.'),
    err,
    el('button', { type: 'submit', text: 'Set new password' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    if (!handle.value.trim() || !code.value.trim() || !next.value) {
      showError(err, new Error('Please type your username, the reset code and a new password.'));
      return;
    }
    await busy(form, async () => {
      try {
        const who = handle.value.trim();
        // A recovery code is 10 letters (abcde-fghjk); a reset code 20.
        const typed = code.value.trim();
        const body = { handle: who, new_password: next.value };
        if (typed.replace(/[-\s]/g, '').length === 10) body.recovery_code = typed; else body.code = typed;
        await ctx.api.post('/api/v1/password-resets', body);
        next.value = '';
        code.value = '';
        const h1 = el('h1', { text: 'Your password has been changed' });
        main.replaceChildren(h1,
          el('p', { class: 'ok', text: 'Your new password works now. Anywhere you were logged in has been logged out.' }),
          el('p', {}, el('a', { class: 'button', href: `#/login?handle=${encodeURIComponent(who)}`, text: 'Log in' })));
        h1.tabIndex = -1;
        h1.focus();
      } catch (x) {
        showError(err, x);
      }
    });
  });
  main.append(
    el('h1', { text: 'Reset your password' }),
    el('p', { text: 'If you have forgotten your password, ask the Safeguard team for a reset code. If you are under 13, your parent or carer can get one for you on their Parents and carers page. The code works once.' }),
    ctx.reach('To ask for a code, tell them your username.'),
    form,
    el('p', {}, el('a', { href: '#/login', text: 'Back to log in' })));
  (handle.value ? code : handle).focus();
}
