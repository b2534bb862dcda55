// Tiny DOM helpers: build elements without innerHTML, so API strings are never parsed as markup.
type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  setAttrs(el, attrs)
  append(el, children)
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag)
  setAttrs(el, attrs)
  append(el, children)
  return el
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (v === true) el.setAttribute(k, '')
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v))
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : String(c))
  }
}

/** A glyph per status, so status never rests on colour alone (the word is always there too). */
export const STATUS_ICON: Record<string, string> = { ok: '✓', warn: '!', breach: '✕', unknown: '?' }

export const statusBadge = (status: string, text: string = status): HTMLElement =>
  h(
    'span',
    { class: `badge ${status}` },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, STATUS_ICON[status] ?? '•'),
    text,
  )

/** Internal links navigate without a reload; main.ts listens for this event. */
export function link(href: string, text: Child, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { href, 'data-link': true, ...attrs }, text)
}

export function navigate(href: string): void {
  history.pushState(null, '', href)
  dispatchEvent(new PopStateEvent('popstate'))
}

/** replaceChildren that skips null/false children (optional panels). */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren()
  append(el, children)
}
