import {
  refKey,
  type Assertion,
  type Batch,
  type Dataset,
  type Job,
  type Product,
} from '../../collectors/batch.ts'

/** A dataset as the mesh knows it, merged over every batch that names it. */
export type MeshDataset = Dataset & { key: string; id: number; project: string | undefined }
export type MeshJob = Job & { key: string; id: number; project: string }

/**
 * Several collected batches (one per dbt project, an Airflow instance…) seen as one graph, each
 * node with the project that defines it: what the gate's structural checks (tests, breaking
 * changes, private reads) compare. Scores and governance are not read from it but from the
 * server's own store (store.ts).
 */
export interface Mesh {
  datasets: Map<string, MeshDataset>
  jobs: Map<string, MeshJob>
  /** dataset key → keys of jobs reading it */
  readers: Map<string, string[]>
  /** job key → dataset keys it reads */
  inputs: Map<string, string[]>
  /** latest result per test key */
  assertions: Map<string, Assertion>
  products: Map<string, Product & { project: string }>
  domainOwners: Map<string, string>
}

/** How much a batch's view of a dataset says: a defined model over a mere read of it. */
const richness = (d: Dataset): number =>
  (d.kind && d.kind !== 'source' ? 2 : 0) + (d.sourceFile ? 1 : 0)

/**
 * Whether a dbt batch carries `d` only as a copy of another project's node: dbt-loom (and dbt
 * Mesh) inject upstream public models into a consumer's manifest, without a file, under the
 * upstream package (the collector's own rule for a foreign node, read back from the batch).
 */
export function isForeignCopy(b: Batch, d: Dataset): boolean {
  if (b.kind !== 'dbt' || !b.scope.startsWith('dbt:') || d.sourceFile !== undefined) return false
  const pkg = d.externalId?.split('.')[1]
  return pkg !== undefined && pkg !== b.scope.slice('dbt:'.length)
}

/**
 * Merges batches into one graph; the defining project's view of a dataset wins over a reader's.
 * A copy of another project's node (see isForeignCopy) never belongs to the batch that carries
 * it and never mixes into its owner's view: it stands for the dataset (with `project`
 * undefined) only while no batch defines it, so a model its project deleted stays deleted.
 */
export function buildMesh(batches: readonly Batch[]): Mesh {
  const mesh: Mesh = {
    datasets: new Map(),
    jobs: new Map(),
    readers: new Map(),
    inputs: new Map(),
    assertions: new Map(),
    products: new Map(),
    domainOwners: new Map(),
  }
  const alias = new Map<string, string>()
  const keyOf = (r: { namespace: string; name: string }): string => {
    const k = refKey(r)
    return alias.get(k) ?? k
  }
  /** keys of datasets only copies have described so far */
  const copiesOnly = new Set<string>()
  const fillMissing = (into: MeshDataset, from: Dataset): void => {
    for (const [k, v] of Object.entries(from)) {
      if ((into as Record<string, unknown>)[k] === undefined)
        (into as Record<string, unknown>)[k] = v
    }
  }
  for (const b of batches) {
    for (const d of b.datasets) {
      const key = refKey(d)
      for (const a of d.aliases ?? []) alias.set(refKey(a), key)
      const copy = isForeignCopy(b, d)
      const seen = mesh.datasets.get(key)
      if (!seen) {
        const project = copy ? undefined : b.scope
        mesh.datasets.set(key, { ...d, key, id: mesh.datasets.size + 1, project })
        if (copy) copiesOnly.add(key)
      } else if (copy) {
        if (copiesOnly.has(key)) fillMissing(seen, d)
      } else if (copiesOnly.has(key)) {
        mesh.datasets.set(key, { ...d, key, id: seen.id, project: b.scope })
        copiesOnly.delete(key)
      } else if (richness(d) > richness(seen)) {
        mesh.datasets.set(key, { ...seen, ...d, key, id: seen.id, project: b.scope })
      } else fillMissing(seen, d)
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
  }
  for (const b of batches) {
    for (const e of b.edges) {
      if (e.direction !== 'input') continue
      const ds = keyOf(e.dataset)
      const job = refKey(e.job)
      addTo(mesh.readers, ds, job)
      addTo(mesh.inputs, job, ds)
    }
    for (const a of b.assertions) {
      const seen = mesh.assertions.get(a.key)
      if (!seen || seen.observedAt <= a.observedAt)
        mesh.assertions.set(a.key, { ...a, dataset: { ...a.dataset } })
    }
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
