import { api, ok } from './api.ts'
import { columnLineagePanel } from './column-lineage.ts'
import { COLUMN_COLOUR, ORCHESTRATION_COLOUR, STATUS_COLOURS } from './cy-style.ts'
import { fill, h, link, statusBadge } from './dom.ts'
import type { NodeData } from './graph.ts'
import { lineageHref, productHref } from './model.ts'

// The lineage page's side panel, search results and legend (lineage-view.ts draws the graph).

export async function runSearch(q: string, results: HTMLElement): Promise<void> {
  if (q.trim() === '') return void results.replaceChildren()
  const r = await ok(await api.api.lineage.search.$get({ query: { q } }))
  results.replaceChildren(
    ...(r?.results ?? []).map((n) =>
      h(
        'li',
        {},
        link(lineageHref(n.id), n.name.slice(n.name.lastIndexOf('.') + 1)),
        h(
          'span',
          { class: 'muted small' },
          ` ${n.kind} · ${n.domain}${n.product ? ' · product' : ''}`,
        ),
      ),
    ),
  )
}

export interface SideActions {
  /** Expands or collapses an Airflow DAG (its tasks drawn inside it). */
  toggleDag?: (id: string) => void
  /** Whether the DAG is drawn expanded now. */
  dagExpanded?: (id: string) => boolean
}

/** What a clicked node is: its name, kind (a job's second label line), status and links. */
export async function renderSide(side: HTMLElement, d: NodeData, act: SideActions): Promise<void> {
  const holder = h('div')
  const id = Number(d.id.slice(d.id.indexOf(':') + 1))
  const dataset =
    d.kind === 'dataset'
      ? await ok(await api.api.datasets[':id'].$get({ param: { id: String(id) } }))
      : undefined
  const [name, tag] = d.label.split('\n')
  const isDag = d.kind === 'job' && d.jobType === 'airflow_dag'
  const expanded = isDag && (act.dagExpanded?.(d.id) ?? false)
  fill(
    side,
    h('h2', {}, name ?? d.label),
    h('p', { class: 'mono small' }, d.detail ?? ''),
    h('p', {}, `${tag ?? d.kind} `, statusBadge(d.status)),
    dataset
      ? h(
          'p',
          { class: 'small' },
          `domain ${dataset.domain ?? '—'} · owner ${dataset.owner ?? '—'} · ${dataset.columns?.length ?? 0} columns`,
        )
      : null,
    dataset && dataset.products.length > 0
      ? h(
          'ul',
          { class: 'small' },
          ...dataset.products.map((p) => h('li', {}, 'product ', link(productHref(p), p))),
        )
      : null,
    isDag && act.toggleDag
      ? h(
          'button',
          {
            type: 'button',
            'data-testid': 'dag-toggle',
            'aria-pressed': expanded ? 'true' : 'false',
            onclick: () => act.toggleDag?.(d.id),
          },
          expanded ? 'Collapse DAG' : 'Expand DAG (tasks inside)',
        )
      : null,
    h('p', {}, link(lineageHref(d.id), 'focus on this node', { 'data-testid': 'focus-link' })),
    d.kind === 'dataset'
      ? h(
          'p',
          {},
          link(`${lineageHref(d.id)}&level=column`, 'column level in the graph', {
            'data-testid': 'column-level-link',
          }),
        )
      : null,
    d.kind === 'dataset'
      ? h(
          'button',
          {
            type: 'button',
            'data-testid': 'column-lineage-button',
            onclick: () => void columnLineagePanel(id).then((p) => holder.replaceChildren(p)),
          },
          'Column lineage',
        )
      : null,
    holder,
  )
}

const line = (colour: string, style: string) =>
  h('i', {
    class: 'edge-key',
    'aria-hidden': 'true',
    style: `border-top: 2px ${style} ${colour}`,
  })

/** Every colour and shape of the graph, said in words too. */
export function legend(): HTMLElement {
  return h(
    'div',
    { class: 'legend', 'data-testid': 'legend' },
    ...Object.entries(STATUS_COLOURS).map(([s, c]) =>
      h('span', {}, h('i', { style: `background:${c}` }), s),
    ),
    h('span', {}, h('b', {}, '▭'), ' dataset'),
    h('span', {}, '◆ dbt model'),
    h('span', {}, '⬢ Airflow task'),
    h('span', {}, '▬ Airflow DAG'),
    h('span', {}, '▲ other producer (Spark, …)'),
    h('span', {}, h('b', {}, '▭ bold'), ' product'),
    h('span', {}, line('#9aa3b2', 'solid'), ' data lineage'),
    h(
      'span',
      { 'data-testid': 'legend-orchestration' },
      line(ORCHESTRATION_COLOUR, 'dashed'),
      ' orchestration (DAG → task → dbt model)',
    ),
    h('span', {}, line(COLUMN_COLOUR, 'solid'), ' column'),
  )
}
