import type {
  AssertionFact,
  DatasetFact,
  JobFact,
  LatestRunFact,
  MetricFact,
  OutputFacts,
  ProductFacts,
  RunFact,
  UpstreamFacts,
} from '../queries/quality-facts.ts'
import { groupBy } from '../queries/quality.ts'

// The evaluator's facts put together from what the set reads returned: no SQL, so it serves any
// engine. The same assembly as inside db/queries/quality.ts's loadProductFacts (SQLite's still
// runs its own copy; the two are one function once that module calls this one).

const VOLUME_METRICS = ['row_count', 'rows_affected']
export const FRESHNESS_METRIC = 'freshness_age_seconds'

export interface ProducerRun {
  jobId: number
  state: string
  startedAt: string | null
  endedAt: string | null
  error: string | null
  rowsAffected: number | null
}

/** What the set reads of a loadProductFacts found. */
export interface FactReads {
  products: {
    id: string
    name: string
    domain: string
    owner: string | null
    description: string | null
  }[]
  outputs: { productId: string; datasetId: number }[]
  datasets: Map<number, DatasetFact>
  producersOf: Map<number, number[]>
  jobs: Map<number, JobFact>
  runsOf: Map<number, ProducerRun[]>
  lastOk: Map<number, string>
  latestDagRuns: Map<number, LatestRunFact>
  assertionsOf: Map<number, AssertionFact[]>
  metricsOf: Map<number, (MetricFact & { runId: string | null })[]>
  versionsOf: Map<number, OutputFacts['versions']>
  upstream: Map<number, UpstreamFacts[]>
}

const toJobFact = (j: JobFact): JobFact => ({
  id: j.id,
  namespace: j.namespace,
  name: j.name,
  type: j.type,
  domain: j.domain,
  owner: j.owner,
  parentId: j.parentId,
  schedule: j.schedule,
})

function outputFacts(r: FactReads, d: DatasetFact): OutputFacts {
  const producers = (r.producersOf.get(d.id) ?? []).flatMap((id) => {
    const j = r.jobs.get(id)
    return j ? [toJobFact(j)] : []
  })
  const dagIds = new Set<number>()
  for (const p of producers) {
    if (p.type === 'airflow_dag') dagIds.add(p.id)
    const parent = p.parentId === null ? undefined : r.jobs.get(p.parentId)
    if (parent?.type === 'airflow_dag') dagIds.add(parent.id)
  }
  const metrics = r.metricsOf.get(d.id) ?? []
  const runs: RunFact[] = []
  const volume: MetricFact[] = metrics.filter((m) => VOLUME_METRICS.includes(m.name))
  for (const p of producers) {
    const list = [...(r.runsOf.get(p.id) ?? [])]
    const ok = r.lastOk.get(p.id)
    if (ok && !list.some((x) => x.state === 'COMPLETE' && (x.endedAt ?? x.startedAt) === ok))
      list.push({
        jobId: p.id,
        state: 'COMPLETE',
        startedAt: null,
        endedAt: ok,
        error: null,
        rowsAffected: null,
      })
    for (const x of list) {
      runs.push({
        jobId: x.jobId,
        state: x.state,
        startedAt: x.startedAt,
        endedAt: x.endedAt,
        error: x.error,
      })
      const at = x.endedAt ?? x.startedAt
      if (x.rowsAffected !== null && at && x.state === 'COMPLETE')
        volume.push({ name: 'rows_affected', value: x.rowsAffected, status: null, observedAt: at })
    }
  }
  return {
    id: d.id,
    namespace: d.namespace,
    name: d.name,
    domain: d.domain,
    kind: d.kind,
    access: d.access,
    contractEnforced: d.contractEnforced,
    producers,
    dags: [...dagIds].flatMap((id) => {
      const j = r.jobs.get(id)
      return j
        ? [
            {
              ...toJobFact(j),
              lastSuccessAt: r.lastOk.get(id) ?? null,
              latestRun: r.latestDagRuns.get(id) ?? null,
            },
          ]
        : []
    }),
    runs,
    assertions: r.assertionsOf.get(d.id) ?? [],
    volume,
    freshness: metrics.filter((m) => m.name === FRESHNESS_METRIC).at(-1) ?? null,
    writeSignals: metrics
      .filter((m) => m.runId !== null && m.name !== FRESHNESS_METRIC)
      .map((m) => m.observedAt),
    versions: r.versionsOf.get(d.id) ?? [],
  }
}

/** Each product's facts: its outputs' facts (each dataset's once) and the problems upstream of them. */
export function assembleFacts(r: FactReads): ProductFacts[] {
  const cache = new Map<number, OutputFacts>()
  const factsOf = (id: number): OutputFacts | undefined => {
    const hit = cache.get(id)
    if (hit) return hit
    const d = r.datasets.get(id)
    if (!d) return undefined
    const f = outputFacts(r, d)
    cache.set(id, f)
    return f
  }
  const outsOf = groupBy(
    r.outputs,
    (o) => o.productId,
    (o) => o.datasetId,
  )
  return r.products.map((p): ProductFacts => {
    const ids = outsOf.get(p.id) ?? []
    const own = new Set(ids)
    const up = new Map<number, UpstreamFacts>()
    for (const id of ids)
      for (const u of r.upstream.get(id) ?? []) {
        const seen = up.get(u.id)
        if (!own.has(u.id) && (!seen || seen.depth > u.depth)) up.set(u.id, u)
      }
    return {
      id: p.id,
      name: p.name,
      domain: p.domain,
      owner: p.owner,
      description: p.description,
      outputs: ids.flatMap((id) => {
        const f = factsOf(id)
        return f ? [f] : []
      }),
      upstream: [...up.values()],
    }
  })
}
