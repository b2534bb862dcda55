import {
  refKey,
  type Assertion,
  type Batch,
  type Check,
  type Dataset,
  type Job,
  type Metric,
  type Product,
  type Run,
} from '../../collectors/batch.ts'

/** A dataset as the mesh knows it, merged over every batch that names it. */
export type MeshDataset = Dataset & { key: string; id: number; project: string | undefined }
export type MeshJob = Job & { key: string; id: number; project: string }

/** Several collected batches (one per dbt project, an Airflow instance…) seen as one graph. */
export interface Mesh {
  datasets: Map<string, MeshDataset>
  jobs: Map<string, MeshJob>
  /** dataset key → keys of jobs reading it / writing it */
  readers: Map<string, string[]>
  writers: Map<string, string[]>
  /** job key → dataset keys it reads */
  inputs: Map<string, string[]>
  checks: Check[]
  /** latest result per test key */
  assertions: Map<string, Assertion>
  metrics: Metric[]
  runs: Run[]
  products: Map<string, Product & { project: string }>
  domainOwners: Map<string, string>
  /** per batch scope: the time the batch describes (its newest timestamp) */
  clocks: Map<string, Date>
}

/** The project (batch scope) a dataset belongs to: the batch that defines it with a file, else the first. */
const richness = (d: Dataset): number =>
  (d.kind && d.kind !== 'source' ? 2 : 0) + (d.sourceFile ? 1 : 0)

/** Merges batches into one graph; the defining project's view of a dataset wins over a reader's. */
export function buildMesh(batches: readonly Batch[]): Mesh {
  const mesh: Mesh = {
    datasets: new Map(),
    jobs: new Map(),
    readers: new Map(),
    writers: new Map(),
    inputs: new Map(),
    checks: [],
    assertions: new Map(),
    metrics: [],
    runs: [],
    products: new Map(),
    domainOwners: new Map(),
    clocks: new Map(),
  }
  const alias = new Map<string, string>()
  const keyOf = (r: { namespace: string; name: string }): string => {
    const k = refKey(r)
    return alias.get(k) ?? k
  }
  for (const b of batches) {
    for (const d of b.datasets) {
      const key = refKey(d)
      for (const a of d.aliases ?? []) alias.set(refKey(a), key)
      const seen = mesh.datasets.get(key)
      if (!seen) mesh.datasets.set(key, { ...d, key, id: mesh.datasets.size + 1, project: b.scope })
      else if (richness(d) > richness(seen)) {
        mesh.datasets.set(key, { ...seen, ...d, key, id: seen.id, project: b.scope })
      } else {
        for (const [k, v] of Object.entries(d)) {
          if ((seen as Record<string, unknown>)[k] === undefined)
            (seen as Record<string, unknown>)[k] = v
        }
      }
    }
    for (const j of b.jobs) {
      const key = refKey(j)
      if (!mesh.jobs.has(key))
        mesh.jobs.set(key, { ...j, key, id: mesh.jobs.size + 1, project: b.scope })
    }
    for (const d of b.domains)
      if (d.owner && !mesh.domainOwners.has(d.name)) mesh.domainOwners.set(d.name, d.owner)
    for (const p of b.products)
      if (!mesh.products.has(p.id)) mesh.products.set(p.id, { ...p, project: b.scope })
    mesh.clocks.set(b.scope, clockOf(b))
  }
  for (const b of batches) {
    for (const e of b.edges) {
      const ds = keyOf(e.dataset)
      const job = refKey(e.job)
      const index = e.direction === 'input' ? mesh.readers : mesh.writers
      addTo(index, ds, job)
      if (e.direction === 'input') addTo(mesh.inputs, job, ds)
    }
    mesh.checks.push(...b.checks)
    for (const a of b.assertions) {
      const seen = mesh.assertions.get(a.key)
      if (!seen || seen.observedAt <= a.observedAt)
        mesh.assertions.set(a.key, { ...a, dataset: { ...a.dataset } })
    }
    mesh.metrics.push(...b.metrics)
    mesh.runs.push(...b.runs)
  }
  for (const a of mesh.assertions.values()) {
    const k = keyOf(a.dataset)
    const ds = mesh.datasets.get(k)
    if (ds) a.dataset = { namespace: ds.namespace, name: ds.name }
  }
  return mesh
}

function addTo(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k)
  if (!list) m.set(k, [v])
  else if (!list.includes(v)) list.push(v)
}

/** The newest time a batch speaks of (its producedAt, runs, results): the clock it is judged at. */
export function clockOf(b: Batch): Date {
  let best = b.producedAt ? Date.parse(b.producedAt) : 0
  const take = (t: string | undefined) => {
    const v = t ? Date.parse(t) : NaN
    if (Number.isFinite(v) && v > best) best = v
  }
  for (const r of b.runs) take(r.endedAt ?? r.startedAt)
  for (const a of b.assertions) take(a.observedAt)
  for (const m of b.metrics) take(m.observedAt)
  return new Date(best)
}

/** The mesh after a change: the baseline batches with the changed project's batch swapped in. */
export function withProject(baseline: readonly Batch[], current: Batch): Batch[] {
  return [...baseline.filter((b) => b.scope !== current.scope), current]
}

export const datasetKeyOf = refKey
