// Small DOM helpers. Text is only ever set with textContent or text nodes:
// nothing here parses HTML.

let seq = 0;

// uid returns an id unique in the page, for label/for and aria-describedby.
export function uid(prefix = 'f') {
  seq += 1;
  return `${prefix}-${seq}`;
}

// el makes an element. props: class, text (textContent), on* listeners,
// dataset (object), anything else an attribute (true: present; false,
// null, undefined: absent). Children: nodes or strings (as text).
export function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'value') e.value = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, kids);
  return e;
}

function append(e, kids) {
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

// add appends children to a node as el does: strings as text, and null,
// undefined or false skipped.
export function add(node, ...kids) {
  append(node, kids);
  return node;
}

// field makes a labelled control: the label's text is the control's
// accessible name; hint (optional) is read after it.
export function field(label, control, hint) {
  if (!control.id) control.id = uid('in');
  const kids = [el('label', { for: control.id, text: label })];
  if (hint) {
    const h = el('p', { class: 'hint', id: uid('hint'), text: hint });
    control.setAttribute('aria-describedby', h.id);
    kids.push(h);
  }
  kids.push(control);
  return el('div', { class: 'field' }, kids);
}

// clear empties a node.
export function clear(node) {
  node.replaceChildren();
  return node;
}

// errorBox is where a form shows what went wrong, read out when it changes.
export function errorBox() {
  return el('p', { class: 'error', role: 'alert', hidden: true });
}

// showError puts a message (an Error's message, which api.js takes from
// the server) into a box made by errorBox; a falsy one hides it.
export function showError(box, err) {
  const msg = err ? (err.message || String(err)) : '';
  box.textContent = msg;
  box.hidden = !msg;
}

// busy disables a form's controls while a request runs, and gives the
// focus back to where it was if disabling took it away.
export async function busy(form, fn) {
  const had = document.activeElement;
  const controls = [...form.querySelectorAll('button, input, select, textarea')];
  const was = controls.map(c => c.disabled);
  controls.forEach(c => { c.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    controls.forEach((c, i) => { c.disabled = was[i]; });
    form.removeAttribute('aria-busy');
    if (had && had.isConnected && form.contains(had) && document.activeElement === document.body) had.focus();
  }
}

// when formats a time for people.
export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}
