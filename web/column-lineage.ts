import { api, ok, type ColumnLineage } from './api.ts'
import { h, link } from './dom.ts'
import { lineageHref } from './model.ts'

type ColumnEdge = ColumnLineage['upstream'][number]

/** A dataset's column lineage, fetched on demand: each column and the upstream columns it comes from. */
export async function columnLineagePanel(datasetId: number): Promise<HTMLElement> {
  const body = await api.api.datasets[':id']['column-lineage']
    .$get({ param: { id: String(datasetId) } })
    .then(ok)
    .catch(() => undefined)
  if (body === undefined)
    return h(
      'p',
      { class: 'muted', 'data-testid': 'column-lineage' },
      'Column lineage is not available on this server.',
    )
  const { upstream: up, downstream: down } = body
  if (up.length + down.length === 0)
    return h(
      'p',
      { class: 'muted', 'data-testid': 'column-lineage' },
      'No column lineage recorded for this dataset.',
    )
  const row = (e: ColumnEdge, dir: 'up' | 'down') =>
    h(
      'tr',
      {},
      h('td', { class: 'mono' }, dir === 'up' ? e.column : `${e.from.column} →`),
      h(
        'td',
        { class: 'mono' },
        dir === 'up' ? '←' : '',
        ' ',
        link(
          lineageHref(`dataset:${dir === 'up' ? e.from.id : e.dataset.id}`),
          dir === 'up' ? `${e.from.name}.${e.from.column}` : `${e.dataset.name}.${e.column}`,
        ),
      ),
      h('td', { class: 'small muted' }, e.transformation ?? ''),
    )
  return h(
    'div',
    { 'data-testid': 'column-lineage' },
    h('h3', {}, 'Column lineage'),
    h(
      'table',
      {},
      h('tbody', {}, ...up.map((e) => row(e, 'up')), ...down.map((e) => row(e, 'down'))),
    ),
  )
}
