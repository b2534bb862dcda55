import type { Column } from '../../collectors/batch.ts'
import { diffColumns } from '../quality/schema-dim.ts'
import type { Mesh, MeshDataset } from './mesh.ts'
import type { Consumer, GateCheck } from './types.ts'

const ACCESS_RANK: Record<string, number> = { private: 0, protected: 1, public: 2 }

/**
 * Everyone downstream of a dataset in `mesh`: jobs of another project or domain whose inputs
 * include it, and exposures (any domain) that read it, sorted by domain.
 */
export function consumersOf(mesh: Mesh, ds: MeshDataset): Consumer[] {
  const out: Consumer[] = []
  for (const jobKey of mesh.readers.get(ds.key) ?? []) {
    const job = mesh.jobs.get(jobKey)
    if (!job || (job.project === ds.project && job.domain === ds.domain)) continue
    const domain = job.domain ?? job.project.replace(/^dbt:/, '')
    out.push({
      kind: 'job',
      name: job.name,
      domain,
      owner: job.owner ?? mesh.domainOwners.get(domain),
      externalId: job.externalId,
    })
  }
  for (const p of mesh.products.values()) {
    if (
      p.origin !== 'dbt_exposure' ||
      !p.outputs.some((o) => o.namespace === ds.namespace && o.name === ds.name)
    )
      continue
    out.push({
      kind: 'exposure',
      name: p.name,
      domain: p.domain,
      owner: p.owner ?? mesh.domainOwners.get(p.domain),
    })
  }
  return out.sort((a, b) => a.domain.localeCompare(b.domain) || a.name.localeCompare(b.name))
}

/** Public models of `project` in the baseline: the ports other domains may rely on. */
export function publicModelsOf(mesh: Mesh, project: string): MeshDataset[] {
  return [...mesh.datasets.values()].filter(
    (d) => d.project === project && d.kind === 'model' && d.access === 'public',
  )
}

/** What changed incompatibly between two versions of a public model (empty: compatible). */
export function breakingChanges(before: MeshDataset, after: MeshDataset | undefined): string[] {
  if (!after) {
    const version = /\.v(\d+)$/.exec(before.externalId ?? '')
    return [version ? `version ${version[1]} of the model was removed` : 'the model was removed']
  }
  const out: string[] = []
  if (before.columns?.length && after.columns?.length)
    out.push(...columnChanges(before.columns, after.columns))
  if (before.contractEnforced === true && after.contractEnforced !== true)
    out.push('contract dropped (contract.enforced is no longer true)')
  const was = ACCESS_RANK[before.access ?? 'public'] ?? 2
  const now = ACCESS_RANK[after.access ?? 'protected'] ?? 1
  if (now < was)
    out.push(
      `access narrowed from ${before.access ?? 'public'} to ${after.access ?? 'protected (default)'}`,
    )
  return out
}

/** Removed, renamed (removed + added with the same type) and retyped columns. */
export function columnChanges(before: Column[], after: Column[]): string[] {
  const d = diffColumns(before, after)
  const typeOf = (cols: Column[], name: string) =>
    cols.find((c) => c.name === name)?.type?.toLowerCase()
  const unpaired = [...d.added]
  const out: string[] = []
  for (const name of d.removed) {
    const type = typeOf(before, name)
    const i = unpaired.findIndex((a) => type !== undefined && typeOf(after, a) === type)
    if (i >= 0 && d.removed.length === d.added.length) {
      out.push(
        `column ${name} renamed to ${unpaired[i]} (removed ${name}, added ${unpaired[i]} of the same type)`,
      )
      unpaired.splice(i, 1)
    } else out.push(`column ${name} removed${type ? ` (was ${type})` : ''}`)
  }
  for (const r of d.retyped) out.push(`column ${r.name} changed type from ${r.from} to ${r.to}`)
  return out
}

/**
 * One check per public model of the project: fails on a breaking change, naming every consumer.
 * The model after the change is the project's own: a consumer's copy of it (dbt-loom) left in
 * the mesh does not keep a deleted model, version, column or access level alive.
 */
export function checkBreakingChanges(baseline: Mesh, current: Mesh, project: string): GateCheck[] {
  return publicModelsOf(baseline, project).map((before) => {
    const seen = current.datasets.get(before.key)
    const after = seen?.project === project ? seen : undefined
    const changes = breakingChanges(before, after)
    const consumers = consumersOf(baseline, before)
    const file = after?.sourceFile ?? before.sourceFile
    const removedColumn = /^column (\S+) (removed|renamed|changed)/.exec(changes[0] ?? '')?.[1]
    const base = {
      id: `breaking-change:${before.name}`,
      category: 'breaking-change' as const,
      name: `public model ${before.name} stays compatible`,
      targets: [before.name, ...(before.externalId ? [before.externalId] : [])],
      domain: before.domain,
      consumers,
      ...(file ? { location: { file, column: removedColumn, model: modelName(before) } } : {}),
    }
    if (changes.length === 0) {
      return {
        ...base,
        status: 'pass' as const,
        message: `no breaking change to ${before.name}`,
        details: [],
      }
    }
    const who =
      consumers.length === 0
        ? 'no known consumer'
        : `${consumers.length} consumer${consumers.length === 1 ? '' : 's'} in ${domainsOf(consumers)}`
    return {
      ...base,
      status: 'fail' as const,
      message: `breaking change to public model ${before.name}: ${changes.join('; ')} — ${who}`,
      details: [...changes.map((c) => `change: ${c}`), ...consumers.map(consumerLine)],
    }
  })
}

export const domainsOf = (cs: readonly Consumer[]): string =>
  [...new Set(cs.map((c) => c.domain))].join(', ')

export const consumerLine = (c: Consumer): string =>
  `consumer: ${c.domain}: ${c.kind} ${c.name}${c.externalId ? ` (${c.externalId})` : ''}${c.owner ? `, owner ${c.owner}` : ''}`

const modelName = (d: MeshDataset): string | undefined =>
  d.externalId?.split('.').at(-1) ?? d.name.split('.').at(-1)
