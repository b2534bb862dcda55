import { api, ok } from './api.ts'
import { columnUseRows, type ColumnUseRow, type HopView } from './column-uses.ts'
import { h, link } from './dom.ts'
import { lineageHref } from './model.ts'

// The product page's column lineage of one output: per column, where it comes from down to the
// raw sources and who uses it, by domain (GET /api/datasets/:id/column-lineage).

const hop = (v: HopView, how: boolean) =>
  h(
    'li',
    { class: 'mono' },
    link(lineageHref(`dataset:${v.datasetId}`), v.label),
    how && v.transformation ? h('span', { class: 'small muted' }, ` ${v.transformation}`) : null,
  )
// `how`: the hop's transformation (for a raw source it is only the last hop's, so not shown)
const hops = (vs: HopView[], empty: string, how = true) =>
  vs.length
    ? h('ul', { class: 'hops' }, ...vs.map((v) => hop(v, how)))
    : h('span', { class: 'muted' }, empty)

function row(r: ColumnUseRow) {
  const d = r.disagreement
  return h(
    'tr',
    { 'data-column': r.name },
    h('td', { class: 'mono' }, r.name),
    h(
      'td',
      {},
      hops(r.inputs, '—'),
      r.shapedBy ? h('div', { class: 'small muted' }, `+ ${r.shapedBy} join/filter columns`) : null,
    ),
    h('td', { 'data-testid': 'raw-sources' }, hops(r.raw, '—', false)),
    h(
      'td',
      { 'data-testid': 'uses' },
      r.uses.length
        ? h(
            'ul',
            { class: 'uses' },
            ...r.uses.map((u) =>
              h(
                'li',
                { 'data-domain': u.domain },
                h('strong', {}, u.domain),
                hops(u.hops, ''),
                u.exposures.length
                  ? h('div', { class: 'small' }, `exposures: ${u.exposures.join(', ')}`)
                  : null,
              ),
            ),
          )
        : h('span', { class: 'muted' }, 'no downstream use'),
    ),
    h(
      'td',
      { class: 'small' },
      r.sources.join(', '),
      d
        ? h(
            'div',
            { class: 'warn', 'data-testid': 'disagreement' },
            `dbt-ol: ${d.openlineage.length} inputs, meshwatch: ${d.dbt.length} — they disagree`,
          )
        : null,
    ),
  )
}

/** The panel, filled when the answer comes; a dataset without column edges says so. */
export function columnUsesPanel(dataset: { id: number; name: string }): HTMLElement {
  const panel = h(
    'section',
    { class: 'panel column-uses', 'data-testid': 'column-uses' },
    h('h2', {}, `Column lineage: ${dataset.name}`),
    h('p', { class: 'muted' }, 'Loading…'),
  )
  void api.api.datasets[':id']['column-lineage']
    .$get({ param: { id: String(dataset.id) } })
    .then(ok)
    .then((body) => {
      const rows = body ? columnUseRows(body).filter((r) => r.inputs.length || r.uses.length) : []
      const title = panel.firstChild
      if (!body || rows.length === 0) {
        panel.replaceChildren(
          title ?? '',
          h('p', { class: 'muted' }, 'No column lineage recorded for this dataset.'),
        )
        return
      }
      panel.replaceChildren(
        title ?? '',
        h(
          'p',
          { class: 'meta' },
          `${rows.length} columns with lineage · sources ${body.sources.join(', ') || '—'} · `,
          h(
            'span',
            { 'data-testid': 'disagreements' },
            `${body.disagreements} disagreement${body.disagreements === 1 ? '' : 's'} between dbt-ol and meshwatch`,
          ),
        ),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Column', 'Computed from', 'Raw sources', 'Used by, per domain', 'Said by'].map(
                (t) => h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h('tbody', {}, ...rows.map(row)),
        ),
      )
    })
    .catch((e: unknown) => {
      panel.append(h('p', { class: 'problem' }, `Column lineage: ${String(e)}`))
    })
  return panel
}
