// Acknowledge / Mute 24 h / Resolve on an incident, with the token this tab was given; the API's
// answer (done, or why not: another domain's token is refused with 403) is shown as text.
import { api, errorText, type IncidentSummary } from './api.ts'
import { h } from './dom.ts'
import { clearToken, getToken, setToken } from './token.ts'

const MUTE_MINUTES = 24 * 60

// The action routes read their body themselves (an empty one is fine), so hc types no `json`.
const withJson = (body: object) => ({
  init: { body: JSON.stringify(body) },
  headers: { 'content-type': 'application/json' },
})

/** The token field: the value goes to sessionStorage and the field is emptied; it is never shown. */
export function tokenForm(onChange: () => void, nested = false): HTMLElement {
  const has = getToken() !== null
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'mw_…',
    'aria-label': 'API token',
  })
  return h(
    'form',
    {
      class: nested ? 'token-form' : 'panel token-form',
      'data-testid': 'token-form',
      onsubmit: (e) => {
        e.preventDefault()
        if (input.value.trim() === '') return
        setToken(input.value)
        input.value = ''
        onChange()
      },
    },
    nested ? null : h('h2', {}, 'Act with a token'),
    h(
      'p',
      { class: 'small muted' },
      has
        ? 'This tab has a token: the page sends it with every request (kept in this tab only, until it is closed).'
        : 'To acknowledge, mute or resolve, give a token of the incident’s domain (meshwatch token create --scope ingest --domain …) or an admin token. It is kept in this tab only and sent with every request.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'field' }, h('span', { class: 'small muted' }, 'API token'), input),
      h('button', { type: 'submit' }, has ? 'Use another token' : 'Use token'),
      has
        ? h(
            'button',
            {
              type: 'button',
              onclick: () => {
                clearToken()
                onChange()
              },
            },
            'Forget token',
          )
        : null,
    ),
  )
}

/** What the last action came to, carried over the page's re-render. */
export interface ActionNotice {
  text: string
  error: boolean
}

/** The buttons of one incident when this tab has a token; else the token form. */
export function actionsPanel(
  i: IncidentSummary,
  after: (notice?: ActionNotice) => void,
  notice?: ActionNotice,
): HTMLElement {
  if (getToken() === null) return tokenForm(() => after())
  const out = h(
    'p',
    {
      class: notice?.error ? 'small error' : 'small',
      role: 'status',
      'data-testid': 'action-result',
    },
    notice?.text ?? '',
  )
  const id = { id: String(i.id) }
  const run = async (what: string, call: () => Promise<Response>) => {
    out.className = 'small'
    out.textContent = `${what}…`
    const res = await call()
    if (!res.ok) {
      out.className = 'small error'
      out.textContent = `${what} refused: ${await errorText(res)}`
      return
    }
    const body: unknown = await res.json()
    const forDomain =
      body && typeof body === 'object' && 'acknowledgedFor' in body
        ? ` (the notification of ${String(body.acknowledgedFor)})`
        : ''
    const changed = body && typeof body === 'object' && 'changed' in body ? body.changed : true
    after({
      text: `${what}: ${changed ? 'done' : 'had been done already'}${forDomain}.`,
      error: false,
    })
  }
  const reason = h('input', {
    type: 'text',
    name: 'reason',
    minlength: 3,
    maxlength: 2000,
    placeholder: 'why it is resolved',
    'aria-label': 'reason for resolving',
  })
  const resolved = i.status === 'resolved'
  return h(
    'section',
    { class: 'panel incident-actions', 'data-testid': 'incident-actions' },
    h('h2', {}, 'Act on this incident'),
    resolved
      ? h(
          'p',
          { class: 'small muted' },
          'Resolved: it reopens by itself if the product breaks again.',
        )
      : h(
          'div',
          { class: 'toolbar' },
          h(
            'button',
            {
              type: 'button',
              'data-action': 'ack',
              onclick: () =>
                void run('Acknowledge', () =>
                  api.api.incidents[':id'].ack.$post({ param: id }, withJson({})),
                ),
            },
            'Acknowledge',
          ),
          h(
            'button',
            {
              type: 'button',
              'data-action': 'mute',
              onclick: () =>
                void run('Mute 24 h', () =>
                  api.api.incidents[':id'].mute.$post(
                    { param: id },
                    withJson({ minutes: MUTE_MINUTES }),
                  ),
                ),
            },
            'Mute 24 h',
          ),
          h(
            'form',
            {
              class: 'inline',
              onsubmit: (e) => {
                e.preventDefault()
                void run('Resolve', () =>
                  api.api.incidents[':id'].resolve.$post(
                    { param: id },
                    withJson({ reason: reason.value }),
                  ),
                )
              },
            },
            reason,
            h('button', { type: 'submit', 'data-action': 'resolve' }, 'Resolve'),
          ),
        ),
    out,
    tokenForm(() => after(), true),
  )
}
