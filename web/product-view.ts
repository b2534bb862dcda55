import { api, ok, type DatasetDetail, type ProductDetail, type ProductNeighbours } from './api.ts'
import { fill, h, link, s, statusBadge } from './dom.ts'
import {
  lineageHref,
  productHref,
  historyPoints,
  productFindings,
  historyByDimension,
  jobRunsHref,
  domainHref,
  runHref,
  rootCauseView,
  slaPromise,
  scoreChart,
  timeAgo,
  historyNote,
  UNKNOWN_TEXT,
  type ChartPoint,
  type Status,
  type Evaluation,
  type Finding,
  type RootCauseView,
  type DimensionHistory,
} from './model.ts'
import { columnLineagePanel } from './column-lineage.ts'
import { columnUsesPanel } from './column-uses-panel.ts'
import { contractPanel } from './contract-panel.ts'
import { incidentPanel } from './incident-panel.ts'
import { trendChart } from './charts.ts'
import { clockNow } from './clock.ts'
import { recentRunRows, type RecentRun } from './model-runs.ts'

/** A panel's data: the page shows without the panel when its answer fails. */
const optional = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined)

const section = (title: string, testid: string, ...body: (Node | string | null)[]) =>
  h('section', { class: `panel ${testid}`, 'data-testid': testid }, h('h2', {}, title), ...body)

/** One product: SLA per dimension, score history, root cause, schema, neighbours, runs, governance. */
export async function renderProduct(root: HTMLElement, id: string): Promise<void> {
  const product = await ok(
    await api.api.products[':id'].$get({ param: { id: encodeURIComponent(id) } }),
  )
  if (!product) {
    root.replaceChildren(
      h('h1', {}, 'Unknown product'),
      h('p', {}, `No product ${id}. `, link('/products', 'Back to the catalog')),
    )
    return
  }
  const param = { id: encodeURIComponent(id) }
  const [history, rootCause, governance, neighbours, domains, datasets] = await Promise.all([
    optional(api.api.products[':id'].history.$get({ param, query: {} }).then(ok)),
    optional(api.api.products[':id']['root-cause'].$get({ param }).then(ok)),
    optional(api.api.governance.$get({ query: {} }).then(ok)),
    api.api.lineage.products[':id'].$get({ param: { id: encodeURIComponent(id) } }).then(ok),
    api.api.domains.$get().then(ok),
    Promise.all(
      product.outputs.map((o) =>
        api.api.datasets[':id'].$get({ param: { id: String(o.id) } }).then(ok),
      ),
    ),
  ])
  const outputs = datasets.filter((d) => d !== undefined)
  const [runAnswer, incidents] = await Promise.all([
    optional(api.api.runs.$get({ query: { product: id, limit: '10' } }).then(ok)),
    // the domain's incidents hold the upstream ones that reach this product too
    optional(api.api.incidents.$get({ query: { domain: product.domain, limit: '200' } }).then(ok)),
  ])
  const owners = new Map((domains?.domains ?? []).map((d) => [d.name, d.owner]))
  const evaluation = product.evaluation
  const cause = rootCause ? rootCauseView(rootCause, owners) : null
  const findings =
    governance === undefined
      ? undefined
      : productFindings(
          governance,
          id,
          outputs.map((d) => d.name),
        )
  const runs = runAnswer ? recentRunRows(runAnswer) : []
  const status = evaluation?.status ?? 'unknown'
  const first = outputs[0]

  fill(
    root,
    h(
      'div',
      { class: 'crumbs' },
      link('/products', 'Products'),
      ' / ',
      link(domainHref(product.domain), product.domain),
    ),
    h(
      'h1',
      {},
      product.name,
      ' ',
      statusBadge(status),
      evaluation?.score != null
        ? h('span', { class: 'score', 'data-testid': 'score' }, evaluation.score.toFixed(0))
        : null,
    ),
    h(
      'p',
      { class: 'meta' },
      product.since !== null && status !== 'ok'
        ? `${status} since ${product.since.slice(0, 16).replace('T', ' ')} · `
        : '',
      `domain ${product.domain} · owner ${product.owner ?? owners.get(product.domain) ?? '—'} · evaluated ${timeAgo(evaluation?.evaluatedAt ?? null, clockNow())}`,
      first
        ? h(
            'span',
            {},
            ' · ',
            link(lineageHref(`dataset:${first.id}`), 'open in lineage', {
              'data-testid': 'open-lineage',
            }),
          )
        : null,
    ),
    product.description ? h('p', {}, product.description) : null,
    h(
      'div',
      { class: 'grid' },
      slaPanel(evaluation, product.effectiveSla),
      contractPanel(product),
      cause ? rootCausePanel(cause) : null,
      incidentPanel(id, product.domain, incidents?.incidents),
      history === undefined
        ? null
        : historyPanel(historyPoints(history), status, historyByDimension(history)),
      neighbours ? neighboursPanel(neighbours) : null,
      runs.length > 0 ? runsPanel(runs) : null,
      findings === undefined ? null : findingsPanel(findings),
    ),
    ...outputs.flatMap((d) => [schemaPanel(d), columnUsesPanel(d)]),
  )
}

function slaPanel(ev: Evaluation | null, sla: ProductDetail['effectiveSla']) {
  if (!ev || ev.dimensions.length === 0)
    return section(
      'SLA',
      'sla',
      h('p', { class: 'muted' }, ev?.status === 'unknown' ? UNKNOWN_TEXT : 'Not evaluated yet.'),
    )
  return section(
    'SLA',
    'sla',
    ev.status === 'unknown'
      ? h('p', { class: 'muted', 'data-testid': 'unknown-note' }, UNKNOWN_TEXT)
      : null,
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Dimension'),
          h('th', {}, 'Score'),
          h('th', {}, 'Status'),
          h('th', {}, 'Why'),
        ),
      ),
      h(
        'tbody',
        {},
        ...ev.dimensions.map((d) =>
          h(
            'tr',
            { 'data-dimension': d.dimension },
            h(
              'td',
              {},
              d.dimension,
              slaPromise(sla, d.dimension)
                ? h('div', { class: 'muted small' }, slaPromise(sla, d.dimension))
                : null,
            ),
            h(
              'td',
              {
                class: 'num nowrap',
                ...(d.score === null ? { title: 'no data to score it by' } : {}),
              },
              h(
                'span',
                { class: 'bar' },
                h('span', { class: `fill ${d.status}`, style: `width:${d.score ?? 0}%` }),
              ),
              ' ',
              d.score?.toFixed(0) ?? '—',
            ),
            h('td', {}, statusBadge(d.status)),
            h('td', {}, d.reason),
          ),
        ),
      ),
    ),
  )
}

function historyPanel(points: ChartPoint[], status: Status, dims: DimensionHistory[]) {
  if (points.length === 0)
    return section(
      'Score history',
      'history',
      h('p', { class: 'muted', 'data-testid': 'history-note' }, historyNote(points, status)),
    )
  const W = 520
  const H = 120
  const c = scoreChart(points, W, H)
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': 'score history' },
    ...[0, 50, 100].map((v) =>
      s('line', {
        x1: 0,
        x2: W,
        y1: 4 + (1 - v / 100) * (H - 8),
        y2: 4 + (1 - v / 100) * (H - 8),
        class: 'grid-line',
      }),
    ),
    s('path', { d: c.path, class: 'score-line' }),
    ...c.points.map((p) =>
      s(
        'circle',
        { cx: p.x, cy: p.y, r: 3, class: `dot ${p.status}` },
        s('title', {}, `${p.at}: ${p.score} (${p.status})`),
      ),
    ),
  )
  return section(
    'Score history',
    'history',
    svg,
    h('p', { class: 'muted small', 'data-testid': 'history-note' }, historyNote(points, status)),
    dims.length === 0
      ? null
      : h(
          'div',
          { class: 'dims', 'data-testid': 'dimension-history' },
          ...dims.map((d) =>
            h(
              'div',
              { class: 'dim-row' },
              h('span', { class: 'dim-name' }, d.dimension),
              trendChart(d.points, { w: 360, h: 34, label: `${d.dimension} score history` }),
              h(
                'span',
                { class: 'small muted dim-last' },
                d.points.at(-1)
                  ? `${d.points.at(-1)?.score.toFixed(0)} · ${d.points.at(-1)?.note}`
                  : '',
              ),
            ),
          ),
        ),
  )
}

function rootCausePanel(rc: RootCauseView) {
  return section(
    'Root cause',
    'root-cause',
    h(
      'p',
      {},
      rc.summary,
      rc.confidence === 'suspected' ? h('span', { class: 'muted' }, ' (suspected)') : null,
    ),
    h(
      'ol',
      { class: 'chain' },
      ...rc.chain.map((n) =>
        h(
          'li',
          { class: n.status },
          n.id ? link(lineageHref(n.id), n.name) : n.name,
          n.id?.startsWith('job:')
            ? h(
                'span',
                { class: 'small' },
                ' · ',
                link(jobRunsHref(Number(n.id.slice(4))), 'run timeline', {
                  'data-testid': 'step-timeline',
                }),
              )
            : null,
          h(
            'span',
            { class: 'muted small' },
            ` ${n.kind}${n.domain ? ` · ${n.domain}` : ''}${n.via ? ` · via ${n.via}` : ''}`,
          ),
          n.owner ? h('div', { class: 'owner' }, `owner: ${n.owner}`) : null,
          n.problem ? h('div', { class: 'problem' }, n.problem) : null,
        ),
      ),
    ),
  )
}

type Neighbour = ProductNeighbours['upstream'][number]
function neighboursPanel(n: ProductNeighbours) {
  const list = (items: Neighbour[]) =>
    items.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'ul',
          {},
          ...items.map((p) =>
            h(
              'li',
              {},
              link(productHref(p.id), p.name),
              h('span', { class: 'muted small' }, ` ${p.domain} · ${p.owner ?? ''}`),
            ),
          ),
        )
  return section(
    'Upstream and downstream products',
    'neighbours',
    h('h3', {}, 'Upstream'),
    list(n.upstream),
    h('h3', {}, 'Downstream'),
    list(n.downstream),
  )
}

function runsPanel(runs: RecentRun[]) {
  return section(
    'Recent runs',
    'runs',
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Job', 'DAG / invocation', 'State', 'Duration', 'Started'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...runs.map((r) =>
          h(
            'tr',
            {},
            h(
              'td',
              {},
              link(runHref(r.timelineRunId), r.job, { title: 'open the run timeline' }),
              h('div', { class: 'muted small' }, r.kind),
              r.tags.length > 0
                ? h('div', { class: 'muted small' }, `run tags: ${r.tags.join(', ')}`)
                : null,
            ),
            h(
              'td',
              {},
              r.parent ?? '—',
              r.parentKind ? h('div', { class: 'muted small' }, r.parentKind) : null,
            ),
            h(
              'td',
              {},
              statusBadge(r.status, r.state),
              r.error ? h('div', { class: 'small problem' }, r.error) : null,
            ),
            h('td', { class: 'num' }, r.duration),
            h('td', { title: r.startedAt ?? '' }, timeAgo(r.startedAt, clockNow())),
          ),
        ),
      ),
    ),
  )
}

function findingsPanel(findings: Finding[]) {
  if (findings.length === 0)
    return section(
      'Governance',
      'governance',
      h('p', { class: 'muted' }, 'No findings: all policies pass.'),
    )
  return section(
    'Governance',
    'governance',
    h(
      'ul',
      {},
      ...findings.map((f) =>
        h(
          'li',
          { class: f.waived ? 'muted' : '' },
          h('span', { class: `badge ${f.severity === 'error' ? 'breach' : 'warn'}` }, f.severity),
          ` ${f.policy}: ${f.message}`,
          f.waived ? ' (waived)' : '',
        ),
      ),
    ),
  )
}

type Dataset = NonNullable<DatasetDetail>
function schemaPanel(d: Dataset) {
  const cols = d.columns ?? []
  const holder = h('div')
  return section(
    `Schema: ${d.name}`,
    'schema',
    h(
      'p',
      { class: 'meta' },
      `${cols.length} columns · access ${d.access ?? '—'} · contract `,
      d.contractEnforced
        ? h('span', { class: 'badge ok' }, 'enforced')
        : h('span', { class: 'badge unknown' }, 'not enforced'),
      ' · ',
      link(lineageHref(`dataset:${d.id}`), 'lineage'),
      ' · ',
      h(
        'button',
        {
          type: 'button',
          class: 'linklike',
          onclick: () => void columnLineagePanel(d.id).then((p) => holder.replaceChildren(p)),
        },
        'column lineage',
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
          h('th', {}, 'Column'),
          h('th', {}, 'Type'),
          h('th', {}, 'Constraints'),
          h('th', {}, 'Description'),
        ),
      ),
      h(
        'tbody',
        {},
        ...cols.map((c) =>
          h(
            'tr',
            {},
            h('td', { class: 'mono' }, c.name),
            h('td', { class: 'mono' }, c.type ?? ''),
            h('td', {}, (c.constraints ?? []).join(', ')),
            h('td', { class: 'small' }, c.description ?? ''),
          ),
        ),
      ),
    ),
    holder,
  )
}
