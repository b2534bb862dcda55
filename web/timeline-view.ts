import { api, ok, type RunTimeline } from './api.ts'
import { barChart } from './charts.ts'
import { clockNow } from './clock.ts'
import { fill, h, link, statusBadge } from './dom.ts'
import { lineageHref, runHref, runStatus, timeAgo } from './model.ts'
import { durationBars, formatSpan, ganttRows, jobKindLabel, type GanttRow } from './model-runs.ts'

/** A run's timeline: `/runs/:runId`, or `/runs?job=<id>` for a job's latest run. */
export async function renderTimeline(
  root: HTMLElement,
  route: { runId: string | null; job: number | null },
): Promise<void> {
  let runId = route.runId
  if (runId === null && route.job !== null) {
    const runs = await ok(
      await api.api.jobs[':id'].runs.$get({
        param: { id: String(route.job) },
        query: { limit: '1' },
      }),
    )
    runId = runs?.runs[0]?.runId ?? null
  }
  const t =
    runId === null
      ? undefined
      : await ok(
          await api.api.runs[':runId'].timeline.$get({
            param: { runId: encodeURIComponent(runId) },
            query: {},
          }),
        )
  if (!t) {
    root.replaceChildren(
      h('h1', {}, 'Unknown run'),
      h(
        'p',
        {},
        runId ? `No run ${runId}. ` : 'That job has no run yet. ',
        link('/', 'Back to the mesh'),
      ),
    )
    return
  }
  const { rows, firstProblem } = ganttRows(t)
  const r = t.run
  const status = runStatus(r.state)
  fill(
    root,
    h('div', { class: 'crumbs' }, link('/', 'Mesh'), ' / runs / ', r.job.name),
    h('h1', {}, `${r.job.name}`, statusBadge(status, r.state)),
    h(
      'p',
      { class: 'meta', 'data-testid': 'run-meta' },
      `${jobKindLabel(r.job.type)} run · started ${(r.startedAt ?? '—').slice(0, 19).replace('T', ' ')} (${timeAgo(r.startedAt, clockNow())}) · took ${formatSpan(r.durationMs)}`,
      r.expectedMs !== null ? ` · usually ${formatSpan(r.expectedMs)}` : '',
      r.runType ? ` · ${r.runType}` : '',
      scheduleText(t),
      ' · ',
      link(lineageHref(`job:${r.job.id}`), 'lineage'),
    ),
    firstProblem
      ? problemNote(firstProblem)
      : h('p', { class: 'note ok' }, statusBadge('ok', 'no failed or late step')),
    h(
      'section',
      { class: 'panel', 'data-testid': 'gantt' },
      h('h2', {}, `Steps (${rows.filter((x) => x.depth === 0).length})`),
      rows.length === 0
        ? h('p', { class: 'muted' }, 'No step of this run was recorded (tasks, models).')
        : gantt(rows, firstProblem),
    ),
    historyPanel(t),
  )
}

function scheduleText(t: RunTimeline): string {
  const cron = t.schedule['cron']
  const summary = t.schedule['summary']
  const nominal = t.run.nominalTime
  const parts: string[] = []
  if (typeof summary === 'string') parts.push(`schedule: ${summary}`)
  if (typeof cron === 'string' && nominal && t.run.startedAt) {
    const delay = Date.parse(t.run.startedAt) - Date.parse(nominal)
    if (Number.isFinite(delay) && delay > 60_000)
      parts.push(
        `expected at ${nominal.slice(0, 16).replace('T', ' ')}, started ${formatSpan(delay)} later`,
      )
  }
  return parts.length ? ` · ${parts.join(' · ')}` : ''
}

function problemNote(p: GanttRow) {
  const why =
    p.status === 'breach'
      ? `failed (${p.state})`
      : `late: took ${p.duration}, usually ${p.expected}`
  return h(
    'p',
    { class: `note ${p.status === 'breach' ? 'breach' : 'warn'}`, 'data-testid': 'first-problem' },
    statusBadge(p.status === 'breach' ? 'breach' : 'warn', 'first problem'),
    ' ',
    h('a', { href: `#step-${cssId(p.key)}` }, p.name),
    ` ${p.kind} ${why}`,
  )
}

const cssId = (key: string) => key.replace(/[^\w-]/g, '_')

function gantt(rows: GanttRow[], first: GanttRow | null) {
  return h(
    'table',
    { class: 'gantt' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Step', 'State', 'Start', 'Duration', 'Expected', 'Tries', 'Timeline'].map((c) =>
          h('th', { scope: 'col', class: c === 'Timeline' ? 'gantt-col' : '' }, c),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h(
          'tr',
          {
            id: `step-${cssId(r.key)}`,
            class: `depth-${r.depth}${r === first ? ' first-problem' : ''}${r.late ? ' late' : ''}`,
            'data-step': r.name,
          },
          h(
            'td',
            { class: 'step-name' },
            r.depth === 1 ? h('span', { class: 'nest', 'aria-hidden': 'true' }, '└ ') : null,
            r.jobId === null ? r.name : link(lineageHref(`job:${r.jobId}`), r.name),
            h('div', { class: 'muted small' }, r.kind),
          ),
          h(
            'td',
            {},
            statusBadge(
              r.late && r.status !== 'breach' ? 'warn' : r.status,
              r.late ? `${r.state}, late` : r.state,
            ),
          ),
          h('td', { class: 'mono small' }, (r.startedAt ?? '—').slice(11, 19)),
          h('td', { class: 'num' }, r.duration),
          h('td', { class: 'num muted' }, r.expected),
          h('td', { class: 'num' }, r.tries === null ? '' : String(r.tries)),
          h(
            'td',
            { class: 'gantt-col' },
            h(
              'div',
              { class: 'lane' },
              h('span', {
                class: `span ${r.late && r.status !== 'breach' ? 'warn' : r.status}${r.depth ? ' nested' : ''}`,
                style: `left:${r.left.toFixed(2)}%;width:${r.width.toFixed(2)}%`,
                title: `${r.name}: ${r.duration} (${r.state})`,
              }),
            ),
          ),
        ),
      ),
    ),
  )
}

function historyPanel(t: RunTimeline) {
  const bars = durationBars(t)
  if (bars.length === 0) return null
  const known = bars.filter((b) => b.ms !== null)
  return h(
    'section',
    { class: 'panel', 'data-testid': 'run-history' },
    h('h2', {}, `Last ${bars.length} run${bars.length === 1 ? '' : 's'} of ${t.run.job.name}`),
    barChart(
      bars.map((b) => ({
        label: b.label,
        value: b.ms,
        status: b.status,
        current: b.runId === t.run.runId,
      })),
      {
        w: Math.max(120, bars.length * 24),
        h: 60,
        label: `durations of the last ${bars.length} runs: ${known.map((b) => formatSpan(b.ms)).join(', ')}`,
      },
    ),
    h(
      'ol',
      { class: 'run-list small' },
      ...[...bars]
        .reverse()
        .map((b) =>
          h(
            'li',
            {},
            b.runId === t.run.runId
              ? h('strong', {}, `${b.label} (this run)`)
              : link(runHref(b.runId), b.label),
          ),
        ),
    ),
  )
}
