import { getJson, h, link } from './dom.ts'
import { lineageHref } from './model.ts'

interface ColumnEdge {
  column: string
  dataset: { id: number; name: string }
  from: { id: number; name: string; column: string }
  transformation: string | null
}

const isEdges = (v: unknown): v is ColumnEdge[] => Array.isArray(v)

/** A dataset's column lineage, fetched on demand: each column and the upstream columns it comes from. */
export async function columnLineagePanel(datasetId: number): Promise<HTMLElement> {
  const body = await getJson(`/api/datasets/${datasetId}/column-lineage`).catch(() => undefined)
  const rec = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const up = isEdges(rec.upstream) ? rec.upstream : []
  const down = isEdges(rec.downstream) ? rec.downstream : []
  if (body === undefined)
    return h(
      'p',
      { class: 'muted', 'data-testid': 'column-lineage' },
      'Column lineage is not available on this server.',
    )
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
