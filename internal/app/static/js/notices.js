// Safety notices, always in the server's words (internal/notice): the
// encryption banner of a chat, support under a message, after a block or a
// report. The app adds only the buttons a notice asks for.

import { el, uid } from './dom.js';

// telHref makes a tel: link from a phone number as people write it
// ("0800 1111" → "tel:08001111").
export function telHref(phone) {
  return `tel:${String(phone).replace(/[^\d+]/g, '')}`;
}

// noticeLinks lists a notice's places to get help: a phone number as a
// tel: link, a web address opening apart from the app.
export function noticeLinks(list) {
  if (!list || !list.length) return null;
  const ul = el('ul', { class: 'help' });
  for (const l of list) {
    const li = el('li');
    if (l.phone) li.append(el('a', { href: telHref(l.phone), text: l.label }));
    if (l.url) {
      if (l.phone) li.append(' · ');
      li.append(el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: l.phone ? `${l.label} (website)` : l.label }));
    }
    ul.append(li);
  }
  return ul;
}

// noticeView draws a notice. actions maps an action the notice offers
// ("block", "report", "appeal") to what the app does; an action without
// a function is not drawn. opts.heading is the heading level (default 2).
export function noticeView(n, actions = {}, opts = {}) {
  const id = uid('notice');
  const level = opts.heading || 2;
  const box = el('section', { class: `notice ${opts.info ? 'info' : ''}`.trim(), 'aria-labelledby': id,
    dataset: { notice: n.code || '' } });
  box.append(el(`h${level}`, { id, text: n.title || 'Safeguard' }), el('p', { text: n.text }));
  const help = noticeLinks(n.links);
  if (help) box.append(help);
  const names = { block: 'Block', report: 'Report', appeal: 'Appeal' };
  const row = el('div', { class: 'row' });
  for (const a of n.actions || []) {
    if (typeof actions[a] !== 'function' || !names[a]) continue;
    const b = el('button', { type: 'button', class: a === 'block' ? 'danger' : 'secondary', text: names[a] });
    b.addEventListener('click', () => actions[a](b));
    row.append(b);
  }
  if (row.childElementCount) box.append(row);
  return box;
}

// encryptionBanner shows what the server says of a conversation's
// encryption (its "notice"): end-to-end encrypted, or why not.
export function encryptionBanner(conv) {
  const n = conv.notice || {};
  const banner = noticeView({ code: n.code, title: n.title, text: n.text, links: n.links }, {}, { info: true });
  banner.classList.add('encryption');
  banner.dataset.e2ee = conv.e2ee ? 'true' : 'false';
  return banner;
}

// noticeList draws several notices (a report receipt, a block).
export function noticeList(list, actions = {}, opts = {}) {
  return (list || []).map(n => noticeView(n, actions, opts));
}
