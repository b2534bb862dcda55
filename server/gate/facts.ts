import type { Assertion } from '../../collectors/batch.ts'
import type {
  AssertionFact,
  DatasetFact,
  JobFact,
  MetricFact,
  OutputFacts,
  ProductFacts,
  UpstreamFacts,
} from '../quality/facts.ts'
import type { GovernanceFacts, GovJob } from '../quality/governance.ts'
import type { Mesh, MeshDataset, MeshJob } from './mesh.ts'

/**
 * The facts the SLA evaluators read (server/quality), built from a mesh of batches instead of
 * the store. `previous` gives each output's baseline columns, so a schema change shows as two
 * versions; `observedAt` is when the current columns were seen.
 */
export function productFacts(
  mesh: Mesh,
  productId: string,
  opts: { upstreamDepth: number; observedAt: string; previous?: Mesh | undefined },
): ProductFacts | undefined {
  const p = mesh.products.get(productId)
  if (!p) return undefined
  const outputs = p.outputs.flatMap((r) => {
    const ds = mesh.datasets.get(`${r.namespace}\u0000${r.name}`)
    return ds ? [outputFacts(mesh, ds, opts)] : []
  })
  const own = new Set(outputs.map((o) => o.id))
  const upstream = new Map<number, UpstreamFacts>()
  let frontier = outputs.map((o) => keyOfId(mesh, o.id)).filter((k): k is string => k !== undefined)
  const seen = new Set(frontier)
  for (let depth = 1; depth <= opts.upstreamDepth && frontier.length > 0; depth++) {
    const next: string[] = []
    for (const key of frontier) {
      for (const jobKey of mesh.writers.get(key) ?? []) {
        for (const input of mesh.inputs.get(jobKey) ?? []) {
          if (seen.has(input)) continue
          seen.add(input)
          next.push(input)
          const ds = mesh.datasets.get(input)
          if (ds && !own.has(ds.id)) {
            upstream.set(ds.id, {
              ...datasetFact(ds),
              depth,
              assertions: assertionsOn(mesh, ds),
              freshness: freshnessOf(mesh, ds),
            })
          }
        }
      }
    }
    frontier = next
  }
  return {
    id: p.id,
    name: p.name,
    domain: p.domain,
    owner: p.owner ?? null,
    description: p.description ?? null,
    outputs,
    upstream: [...upstream.values()],
  }
}

function outputFacts(
  mesh: Mesh,
  ds: MeshDataset,
  opts: { observedAt: string; previous?: Mesh | undefined },
): OutputFacts {
  const producers = (mesh.writers.get(ds.key) ?? []).flatMap((k) => {
    const j = mesh.jobs.get(k)
    return j ? [jobFact(mesh, j)] : []
  })
  const producerKeys = new Set(mesh.writers.get(ds.key) ?? [])
  const runs = mesh.runs
    .filter((r) => producerKeys.has(`${r.job.namespace}\u0000${r.job.name}`))
    .map((r) => ({
      jobId: mesh.jobs.get(`${r.job.namespace}\u0000${r.job.name}`)?.id ?? 0,
      state: r.state,
      startedAt: r.startedAt ?? null,
      endedAt: r.endedAt ?? null,
      error: r.error ?? null,
    }))
  const volume: MetricFact[] = metricsOn(mesh, ds).filter(
    (m) => m.name === 'row_count' || m.name === 'rows_affected',
  )
  for (const r of mesh.runs) {
    const at = r.endedAt ?? r.startedAt
    if (
      r.rowsAffected !== undefined &&
      at &&
      r.state === 'COMPLETE' &&
      producerKeys.has(`${r.job.namespace}\u0000${r.job.name}`)
    ) {
      volume.push({ name: 'rows_affected', value: r.rowsAffected, status: null, observedAt: at })
    }
  }
  const columns = (ds.columns ?? []).map((c) => ({
    name: c.name,
    ...(c.type ? { type: c.type } : {}),
  }))
  const before = opts.previous?.datasets
    .get(ds.key)
    ?.columns?.map((c) => ({ name: c.name, ...(c.type ? { type: c.type } : {}) }))
  // A model dbt skipped was not rebuilt: its table (and catalog entry) is the old one.
  const rebuilt = runs.length === 0 || runs.some((r) => r.state === 'COMPLETE')
  const versions: OutputFacts['versions'] = []
  if (before && !rebuilt) versions.push({ columns: before, observedAt: opts.observedAt })
  else {
    if (before && JSON.stringify(before) !== JSON.stringify(columns))
      versions.push({ columns: before, observedAt: opts.observedAt })
    if (columns.length > 0) versions.push({ columns, observedAt: opts.observedAt })
  }
  return {
    ...datasetFact(ds),
    producers,
    dags: [],
    runs,
    assertions: assertionsOn(mesh, ds),
    volume,
    freshness: freshnessOf(mesh, ds),
    writeSignals: [],
    versions,
  }
}

const keyOfId = (mesh: Mesh, id: number): string | undefined =>
  [...mesh.datasets.values()].find((d) => d.id === id)?.key

const datasetFact = (d: MeshDataset): DatasetFact => ({
  id: d.id,
  namespace: d.namespace,
  name: d.name,
  domain: d.domain ?? null,
  kind: d.kind ?? null,
  access: d.access ?? null,
  contractEnforced: d.contractEnforced ?? null,
})

const jobFact = (mesh: Mesh, j: MeshJob): JobFact => ({
  id: j.id,
  namespace: j.namespace,
  name: j.name,
  type: j.type,
  domain: j.domain ?? null,
  owner: j.owner ?? null,
  parentId: j.parent
    ? (mesh.jobs.get(`${j.parent.namespace}\u0000${j.parent.name}`)?.id ?? null)
    : null,
  schedule: j.schedule ?? null,
})

const assertionFact = (a: Assertion): AssertionFact => ({
  key: a.key,
  name: a.name,
  status: a.status,
  severity: a.severity,
  observedAt: a.observedAt,
  column: a.column ?? null,
  message: a.message ?? null,
})

const assertionsOn = (mesh: Mesh, ds: MeshDataset): AssertionFact[] =>
  [...mesh.assertions.values()]
    .filter((a) => a.dataset.namespace === ds.namespace && a.dataset.name === ds.name)
    .map(assertionFact)

const metricsOn = (mesh: Mesh, ds: MeshDataset): MetricFact[] =>
  mesh.metrics
    .filter((m) => m.dataset.namespace === ds.namespace && m.dataset.name === ds.name)
    .sort((a, b) => a.observedAt.localeCompare(b.observedAt))
    .map((m) => ({
      name: m.name,
      value: m.value,
      status: m.status ?? null,
      observedAt: m.observedAt,
    }))

const freshnessOf = (mesh: Mesh, ds: MeshDataset): MetricFact | null =>
  metricsOn(mesh, ds)
    .filter((m) => m.name === 'freshness_age_seconds')
    .at(-1) ?? null

/** The facts the governance policies read, built from a mesh; `hasSla` asks the config too. */
export function governanceFacts(
  mesh: Mesh,
  hasConfigSla: (productId: string) => boolean,
): GovernanceFacts {
  const uniqueOn = new Map<string, string[]>()
  for (const c of mesh.checks) {
    if (!c.kind.includes('unique') || !c.column) continue
    const k = `${c.dataset.namespace}\u0000${c.dataset.name}`
    uniqueOn.set(k, [...(uniqueOn.get(k) ?? []), c.column])
  }
  const govJob = (j: MeshJob): GovJob => ({
    id: j.id,
    name: j.name,
    type: j.type,
    domain: j.domain ?? null,
    owner: j.owner ?? null,
  })
  const govDataset = (d: MeshDataset) => ({
    id: d.id,
    name: d.name,
    domain: d.domain ?? null,
    kind: d.kind ?? null,
    access: d.access ?? null,
    contractEnforced: d.contractEnforced ?? null,
  })
  const crossDomainReads: GovernanceFacts['crossDomainReads'] = []
  for (const [jobKey, inputs] of mesh.inputs) {
    const job = mesh.jobs.get(jobKey)
    for (const k of inputs) {
      const d = mesh.datasets.get(k)
      if (job && d && job.domain && d.domain && job.domain !== d.domain)
        crossDomainReads.push({ job: govJob(job), dataset: govDataset(d) })
    }
  }
  return {
    products: [...mesh.products.values()].map((p) => ({
      id: p.id,
      domain: p.domain,
      owner: p.owner ?? null,
      description: p.description ?? null,
      hasSla: p.sla !== undefined || hasConfigSla(p.id),
      outputs: p.outputs.flatMap((r) => {
        const d = mesh.datasets.get(`${r.namespace}\u0000${r.name}`)
        return d
          ? [
              {
                id: d.id,
                name: d.name,
                meta: d.meta ?? null,
                uniqueColumns: uniqueOn.get(d.key) ?? [],
              },
            ]
          : []
      }),
    })),
    datasets: [...mesh.datasets.values()].map(govDataset),
    dags: [...mesh.jobs.values()].filter((j) => j.type === 'airflow_dag').map(govJob),
    crossDomainReads,
  }
}
