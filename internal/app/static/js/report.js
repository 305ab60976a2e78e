// Reporting a message, an image, a conversation or an account, in two
// steps (Report, then Reason and Send report), and appealing a decision.
// The receipt and what happens next are the server's own notices.

import { el, add, field, errorBox, showError, busy, when, clear } from './dom.js';
import { noticeList } from './notices.js';

let reasons = null;

async function loadReasons(api) {
  if (!reasons) reasons = (await api.get('/api/v1/reports/reasons')).reasons || [];
  return reasons;
}

// openReport opens the report dialog. target is {message_id}, {account:
// handle} or {conversation_id}; about says what is reported, in words
// ("this message from maya.37"). onBlocked runs after a Block from the
// receipt. opts.submit(reason, note), when given, sends the report instead
// of POST /api/v1/reports and resolves to its receipt (the E2EE module's
// verified report); opts.note false leaves out the note, which that report
// cannot carry; opts.quote is what is reported as the chat shows it (the
// text, or "A photo"), quoted in the dialog.
export async function openReport(ctx, target, about, onBlocked, opts = {}) {
  const dlg = el('dialog', { class: 'report', 'aria-labelledby': 'report-title' });
  const err = errorBox();
  const reason = el('select', { name: 'reason', required: true },
    el('option', { value: '', text: 'Choose a reason' }));
  const note = el('textarea', { name: 'note', rows: 3, maxlength: 2000 });
  const form = el('form', { method: 'dialog', novalidate: true },
    el('h2', { id: 'report-title', text: 'Report' }),
    el('p', { text: `You are reporting ${about}. We will not tell them who reported it.` }),
    opts.quote ? el('blockquote', { class: 'quote', text: opts.quote }) : null,
    field('Reason', reason),
    opts.note === false ? null : field('Anything you want to add (you can leave this empty)', note),
    err,
    el('div', { class: 'row' },
      el('button', { type: 'submit', text: 'Send report' }),
      el('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => dlg.close() })));
  dlg.append(form);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  try {
    for (const r of await loadReasons(ctx.api)) reason.append(el('option', { value: r.code, text: r.text }));
  } catch (x) {
    showError(err, x);
  }
  reason.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    if (!reason.value) {
      showError(err, new Error('Please choose a reason.'));
      reason.focus();
      return;
    }
    await busy(form, async () => {
      try {
        const body = { ...target, reason: reason.value };
        if (note.value.trim()) body.note = note.value.trim();
        const receipt = opts.submit
          ? await opts.submit(body.reason, body.note || '')
          : await ctx.api.post('/api/v1/reports', body);
        receiptView(ctx, dlg, receipt, onBlocked);
      } catch (x) {
        showError(err, x);
      }
    });
  });
}

// receiptView replaces the form with the receipt: the server's notices
// (support, Report Remove, the NSPCC helpline for adults) and Block.
function receiptView(ctx, dlg, receipt, onBlocked) {
  const status = errorBox();
  const done = el('div', { class: 'receipt' },
    el('h2', { id: 'report-title', tabindex: -1, text: 'Report sent' }),
    el('p', { text: `We got your report${receipt.received_at ? ` at ${when(receipt.received_at)}` : ''}. Its number is ${receipt.id}.` }),
    noticeList(receipt.notices, {}, { heading: 3 }),
    status);
  const row = el('div', { class: 'row' });
  if (receipt.block_handle) {
    const block = el('button', { type: 'button', class: 'danger', text: 'Block' });
    block.setAttribute('aria-describedby', 'block-who');
    block.addEventListener('click', async () => {
      block.disabled = true;
      try {
        const res = await ctx.api.post('/api/v1/blocks', { handle: receipt.block_handle });
        block.remove();
        done.append(el('p', { class: 'ok', text: `You blocked ${receipt.block_handle}.` }), ...noticeList(res && res.notices, {}, { heading: 3 }));
        if (onBlocked) onBlocked(receipt.block_handle);
      } catch (x) {
        block.disabled = false;
        showError(status, x);
      }
    });
    done.append(el('p', { id: 'block-who', text: `You can also block ${receipt.block_handle}, so they cannot message you.` }));
    row.append(block);
  }
  row.append(el('button', { type: 'button', class: 'secondary', text: 'Close', onclick: () => dlg.close() }));
  done.append(row);
  clear(dlg).append(done);
  dlg.setAttribute('aria-labelledby', 'report-title');
  done.querySelector('h2').focus();
  ctx.announce('Report sent.');
}

// decisionWords says a decision in words.
const decisionWords = {
  remove_content: 'we removed something you sent',
  warn: 'we warned you about something you sent',
  suspend: 'we suspended your account because of something you sent',
  ban: 'we closed your account because of something you sent',
};

// render is the appeals page (#/appeals): for a suspended account, who
// suspended it, why and how to contest it (the server's words); then the
// decisions the account may appeal, and an appeal of one of them.
export async function render(main, ctx) {
  add(main, el('h1', { text: 'Appeals' }));
  const { decisions, suspension } = await ctx.api.get('/api/v1/appeals');
  if (suspension) {
    add(main, el('section', { class: 'notice', 'aria-labelledby': 'suspended-title' },
      el('h2', { id: 'suspended-title', text: 'Your account is suspended' }),
      el('p', { text: suspension.reason }),
      el('p', { text: 'While it is suspended you cannot chat or add contacts. You can still download your data or delete your account under Settings.' }),
      el('p', { id: 'contest', text: suspension.how_to_contest })));
  }
  if (!decisions || !decisions.length) {
    if (!suspension) add(main, el('p', { text: 'If we take action because of something you send, you can ask us to look again here. There is nothing to appeal now.' }));
    return;
  }
  add(main, el('p', { text: 'If we took action because of something you sent and you think we got it wrong, you can ask us to look again.' }));
  const list = el('ul', { class: 'list' });
  for (const d of decisions) {
    const text = el('textarea', { name: 'text', rows: 3, required: true });
    const err = errorBox();
    const form = el('form', { novalidate: true },
      el('p', { text: `On ${when(d.decided_at)} ${decisionWords[d.decision] || 'we made a decision about something you sent'}.` }),
      field('Why we should look again', text), err,
      el('button', { type: 'submit', text: 'Send appeal' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      showError(err, null);
      await busy(form, async () => {
        try {
          await ctx.api.post('/api/v1/appeals', { case_id: d.case_id, text: text.value.trim() });
          form.replaceChildren(el('p', { class: 'ok', role: 'status', text: 'We got your appeal. Someone who did not make the decision will look at it.' }));
        } catch (x) {
          showError(err, x);
        }
      });
    });
    list.append(el('li', {}, form));
  }
  add(main, list);
}
