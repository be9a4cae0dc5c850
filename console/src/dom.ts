// Building the page: elements made with the DOM API, text always set as text (never parsed as HTML), so nothing a
// subject, code or audit entry holds can become markup or script.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

function fill(el: Element, attrs: Attrs, children: Child[]): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
}

/** An HTML element: h('td', { class: 'num' }, 42). Event handlers as `onclick`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  fill(el, attrs, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element, for the live chart and the role graph. */
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  fill(el, attrs, children);
  return el;
}

/** Replaces the children of `el`. */
export function put(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  fill(el, {}, children);
}

/** A table with a caption, column heads and rows; `empty` is shown in a single cell when there are no rows. */
export function table(caption: string, heads: readonly string[], rows: readonly Child[][], empty = 'None.'): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...heads.map((head) => h('th', { scope: 'col' }, head)))),
    h('tbody', {}, ...(rows.length > 0 ? rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell)))) : [h('tr', {}, h('td', { colspan: heads.length }, empty))])),
  );
}

/** A labelled form field; the label is tied to the control by id. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { id: hintId }, hint) : null);
}

/** A status message, announced by screen readers. */
export function notice(kind: 'ok' | 'error' | 'info', text: string): HTMLParagraphElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/**
 * A modal confirmation (<dialog>): `body` shows what will happen; resolves true when the person confirms. The
 * confirm button is disabled when `blocked` says why the change would be refused anyway.
 */
export function confirmDialog(title: string, body: Node, confirmLabel: string, blocked?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', class: 'confirm' });
    const close = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const cancel = h('button', { type: 'button', onclick: () => close(false) }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'primary', id: 'confirm', disabled: blocked !== undefined, onclick: () => close(true) }, confirmLabel);
    fill(dialog, {}, [h('h2', { id: 'dialog-title' }, title), body, blocked ? notice('error', blocked) : null, h('div', { class: 'actions' }, cancel, ok)]);
    dialog.addEventListener('cancel', () => close(false));
    document.body.append(dialog);
    dialog.showModal();
    (blocked ? cancel : ok).focus();
  });
}

/** A moment as the person reads it, with the ISO form in a tooltip. */
export function when(iso: string | number | null | undefined): HTMLElement | string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString());
}

/** The value of a datetime-local input as an ISO moment, or undefined when empty. */
export function isoOf(local: string): string | undefined {
  return local === '' ? undefined : new Date(local).toISOString();
}

/** Comma or newline separated words. */
export function words(text: string): string[] {
  return text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);
}
