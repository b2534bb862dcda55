import { h } from './dom.ts'
import type { IncidentState } from './incidents-model.ts'

/** A badge that says an incident's (or a delivery's) state in words, with a glyph; the colour only repeats it. */
export const stateBadge = (s: IncidentState, text = s.label): HTMLElement =>
  h(
    'span',
    { class: `badge ${s.tone}` },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, s.icon),
    text,
  )
