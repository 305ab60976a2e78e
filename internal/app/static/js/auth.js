// Sign-up, log in and log out. The username typed at sign-up is a
// nickname; the server adds a dot and a number ("maya" becomes "maya.37"),
// and that whole username is what logs in.

import { el, add, clear, field, errorBox, showError, busy, when } from './dom.js';

export function render(main, ctx) {
  if (ctx.account) {
    ctx.navigate('#/chats');
    return;
  }
  if (ctx.route.name === 'signup') return signUp(main, ctx);
  return logIn(main, ctx);
}

function logIn(main, ctx) {
  const handle = el('input', { name: 'handle', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true,
    value: ctx.route.params.get('handle') || '' });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = errorBox();
  const note = ctx.takeLoginNote ? ctx.takeLoginNote() : '';
  const form = el('form', { class: 'auth', novalidate: true },
    field('Username', handle, 'Your whole username, with the dot and number, like maya.37.'),
    field('Password', password),
    err,
    el('button', { type: 'submit', text: 'Log in' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    if (!handle.value.trim() || !password.value) {
      showError(err, new Error('Please type your username and your password.'));
      return;
    }
    await busy(form, async () => {
      try {
        const session = await ctx.api.post('/api/v1/sessions', { handle: handle.value.trim(), password: password.value });
        password.value = '';
        ctx.login(session);
        // A suspended account reaches only its appeals.
        ctx.navigate(session.account && session.account.status === 'suspended' ? '#/appeals' : '#/chats');
      } catch (x) {
        showError(err, x);
      }
    });
  });
  add(main, 
    el('h1', { text: 'Log in' }),
    note ? el('p', { class: 'ok', text: note }) : null,
    form,
    el('p', {}, 'New here? ', el('a', { href: '#/signup', text: 'Create an account' })),
    el('p', {}, el('a', { href: '#/reset', text: 'I have a reset code' })));
  (handle.value ? password : handle).focus();
}

function signUp(main, ctx) {
  const nickname = el('input', { name: 'nickname', autocomplete: 'nickname', autocapitalize: 'none', spellcheck: 'false', required: true });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const born = el('input', { name: 'birth_date', type: 'date', required: true, max: new Date().toISOString().slice(0, 10) });
  const area = el('input', { name: 'local_authority', autocomplete: 'off' });
  const err = errorBox();
  const form = el('form', { novalidate: true },
    field('Username', nickname, 'Choose a name of 3 to 32 letters or numbers. We add a dot and a number to it to make it yours, like maya.37. You will log in with that whole username.'),
    field('Password', password, 'At least 10 characters. A few words together are easy to remember.'),
    field('Date of birth', born, 'We use it to keep young people safe. It is not shown to anyone.'),
    field('Where you live', area, 'Your council area, like Bedford or Glasgow City. You can leave this empty.'),
    err,
    el('button', { type: 'submit', text: 'Create account' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    await busy(form, async () => {
      try {
        const body = { nickname: nickname.value.trim(), password: password.value, birth_date: born.value };
        if (area.value.trim()) body.local_authority = area.value.trim();
        const account = await ctx.api.post('/api/v1/accounts', body);
        password.value = '';
        created(main, ctx, account);
      } catch (x) {
        showError(err, x);
      }
    });
  });
  add(main, 
    el('h1', { text: 'Create an account' }),
    form,
    el('p', {}, 'Already have an account? ', el('a', { href: '#/login', text: 'Log in' })));
  nickname.focus();
}

// created shows the username the server gave, and for a child under 13 the
// code a parent or carer needs.
function created(main, ctx, a) {
  // A child under 13 cannot chat yet: the heading must not say otherwise.
  const pending = a.status === 'pending_guardian';
  add(clear(main), 
    el('h1', { text: pending ? 'Your account is made: one more step' : 'Your account is ready' }),
    el('p', {}, 'Your username is'),
    el('p', { class: 'big', id: 'new-handle', text: a.handle }),
    el('p', { class: 'ok', text: `Write it down. You need the whole username, ${a.handle}, with your password to log in. Other people add you with it too.` }),
    pending ? waiting(a) : null,
    a.recovery_codes && a.recovery_codes.length ? recoveryCodes(a.recovery_codes) : null,
    a.notice ? noticeText(a.notice) : null,
    el('p', {}, el('a', { class: 'button', href: `#/login?handle=${encodeURIComponent(a.handle)}`, text: 'Log in' })));
  main.querySelector('h1').focus();
}

// recoveryCodes shows a teen's recovery codes, this once: the server keeps
// only their hashes.
function recoveryCodes(codes) {
  return el('section', { class: 'notice info', 'aria-labelledby': 'recovery-title' },
    el('h2', { id: 'recovery-title', text: 'Write these codes down now' }),
    el('p', { text: 'If you forget your password, one of these codes lets you choose a new one. Each code works once. Keep them somewhere safe, like on paper at home. We will not show them again.' }),
    el('ul', { id: 'recovery-codes', class: 'codes' }, ...codes.map((c) => el('li', { class: 'code', text: c }))));
}

export function waiting(a) {
  return el('section', { class: 'notice info', 'aria-labelledby': 'waiting-title' },
    el('h2', { id: 'waiting-title', text: 'Your account is waiting for a parent or carer' }),
    el('p', { text: 'Before you can chat, a parent or carer needs to say yes. Give them this code. They put it in Safeguard under Parents and carers.' }),
    a.guardian_code ? el('p', { class: 'code', id: 'guardian-code', text: a.guardian_code }) : null,
    a.guardian_code_expires ? el('p', { class: 'meta', text: `The code works until ${when(a.guardian_code_expires)}.` }) : null);
}

function noticeText(n) {
  return el('section', { class: 'notice info' },
    n.title ? el('h2', { text: n.title }) : null,
    el('p', { text: n.text }));
}
