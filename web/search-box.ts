// The one search box in the header of every page: an ARIA 1.2 combobox over /api/search's groups.
// `/` focuses it, arrows move the active option (aria-activedescendant), Enter opens, Esc closes.
import { api, ok } from './api.ts'
import { h, navigate } from './dom.ts'
import {
  hitDetail,
  hitHref,
  KIND_LABEL,
  moveActive,
  type SearchGroupIn,
  type SearchHitIn,
} from './search-model.ts'

const DEBOUNCE_MS = 150
const LISTBOX_ID = 'site-search-results'

const isTyping = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement &&
  (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))

/** Builds the box into `host` and binds the page-wide `/` shortcut. */
export function mountSearch(host: HTMLElement): void {
  const input = h('input', {
    type: 'search',
    id: 'site-search',
    role: 'combobox',
    'aria-label': 'search the mesh',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': LISTBOX_ID,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Search  /',
  })
  const listbox = h('div', {
    id: LISTBOX_ID,
    role: 'listbox',
    'aria-label': 'search results',
    class: 'site-results',
    hidden: true,
  })
  const empty = h('div', { class: 'site-results empty muted', hidden: true })
  const status = h('span', { class: 'visually-hidden', role: 'status' })
  host.replaceChildren(
    h('div', { class: 'site-search', role: 'search' }, input, listbox, empty, status),
  )

  let hits: SearchHitIn[] = []
  let active = -1
  let timer = 0
  let seq = 0

  const setOpen = (open: boolean) => {
    listbox.hidden = !open
    if (!open) empty.hidden = true
    input.setAttribute('aria-expanded', open ? 'true' : 'false')
    if (!open) setActive(-1)
  }
  const setActive = (i: number) => {
    listbox.querySelector('[aria-selected="true"]')?.setAttribute('aria-selected', 'false')
    active = i
    const el = i >= 0 ? document.getElementById(`${LISTBOX_ID}-${i}`) : null
    if (el) {
      el.setAttribute('aria-selected', 'true')
      el.scrollIntoView({ block: 'nearest' })
      input.setAttribute('aria-activedescendant', el.id)
    } else input.removeAttribute('aria-activedescendant')
  }
  const open = (hit: SearchHitIn | undefined) => {
    if (!hit) return
    setOpen(false)
    input.value = ''
    hits = []
    // Leave the box, so `/` on the opened page comes back to it.
    input.blur()
    navigate(hitHref(hit))
  }
  const show = (q: string, groups: SearchGroupIn[]) => {
    hits = groups.flatMap((g) => g.hits)
    let n = 0
    listbox.replaceChildren(
      ...groups.map((g) =>
        h(
          'div',
          { role: 'group', 'aria-labelledby': `${LISTBOX_ID}-${g.kind}`, 'data-kind': g.kind },
          h(
            'div',
            { role: 'presentation', class: 'group-label', id: `${LISTBOX_ID}-${g.kind}` },
            KIND_LABEL[g.kind],
            g.more ? h('span', { class: 'muted' }, ' (first ', g.hits.length, ')') : null,
          ),
          ...g.hits.map((hit) => option(hit, n++)),
        ),
      ),
    )
    status.textContent = hits.length === 0 ? `nothing named ${q}` : `${hits.length} results`
    setOpen(hits.length > 0)
    empty.textContent = `Nothing named “${q}”.`
    empty.hidden = hits.length > 0
  }
  const option = (hit: SearchHitIn, i: number) => {
    const detail = hitDetail(hit)
    return h(
      'div',
      {
        role: 'option',
        id: `${LISTBOX_ID}-${i}`,
        'aria-selected': 'false',
        'data-href': hitHref(hit),
        // mousedown, not click: the input's blur would close the list before a click lands.
        onmousedown: (e) => {
          e.preventDefault()
          open(hit)
        },
      },
      h('span', { class: 'name' }, hit.name),
      detail ? h('span', { class: 'detail' }, detail) : null,
    )
  }
  const search = async (q: string) => {
    const mine = ++seq
    const body = await ok(await api.api.search.$get({ query: { q } })).catch(() => undefined)
    if (mine !== seq || input.value.trim() !== q) return
    show(q, body?.groups ?? [])
  }

  input.addEventListener('input', () => {
    clearTimeout(timer)
    const q = input.value.trim()
    if (q === '') {
      seq++
      setOpen(false)
      return
    }
    timer = window.setTimeout(() => void search(q), DEBOUNCE_MS)
  })
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (listbox.hidden && hits.length > 0) setOpen(true)
      setActive(moveActive(active, e.key === 'ArrowDown' ? 1 : -1, hits.length))
    } else if (e.key === 'Enter') {
      if (listbox.hidden) return
      e.preventDefault()
      open(hits[active >= 0 ? active : 0])
    } else if (e.key === 'Escape') {
      // Open: close the list and keep the text (Chromium would clear a search field on Esc).
      if (!listbox.hidden || !empty.hidden) {
        e.preventDefault()
        setOpen(false)
      }
    }
  })
  input.addEventListener('blur', () => setOpen(false))
  input.addEventListener('focus', () => {
    if (input.value.trim() !== '' && hits.length > 0) setOpen(true)
  })
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.metaKey || e.ctrlKey || e.altKey || isTyping(e.target)) return
    e.preventDefault()
    input.focus()
    input.select()
  })
}
