// The chat list and one chat.

import { el } from './dom.js';

export async function render(main, ctx) {
  main.append(el('h1', { text: 'Chats' }));
  const { conversations } = await ctx.api.get('/api/v1/conversations');
  const list = el('ul', { class: 'list' });
  for (const c of conversations || []) {
    list.append(el('li', {}, el('a', { href: `#/chat/${c.id}`, text: c.title || c.members.map(m => m.handle).join(', ') })));
  }
  main.append(conversations && conversations.length ? list : el('p', { text: 'No chats yet. Add someone under Contacts to start one.' }));
}
