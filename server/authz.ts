import type { Context } from 'hono'
import type { Batch, Ref } from '../collectors/batch.ts'
import { refKey } from '../collectors/batch.ts'
import type { Db } from '../db/client.ts'
import { storedOwners } from '../db/queries/owners.ts'
import type { Principal } from './auth.ts'
import { fail } from './errors.ts'

export interface Denial {
  message: string
  path: string
}

interface Write {
  what: 'dataset' | 'job' | 'product' | 'domain'
  ref: Ref | string
  path: string
  /** The domain this batch assigns, if any. */
  assigns?: string | undefined
}

const label = (w: Write): string =>
  typeof w.ref === 'string' ? `${w.what} ${w.ref}` : `${w.what} ${w.ref.namespace} ${w.ref.name}`

/**
 * What a domain-scoped token would write with this batch, and the first thing it may not:
 * a dataset/job/product stored as (or assigned by the batch to) another domain. Reading another
 * domain's dataset (an input edge) is not a write and is allowed.
 */
export function findForeignWrite(db: Db, domain: string, batch: Batch): Denial | undefined {
  const writes: Write[] = []
  batch.domains.forEach((d, i) =>
    writes.push({ what: 'domain', ref: d.name, path: `$.domains[${i}]`, assigns: d.name }),
  )
  batch.datasets.forEach((d, i) =>
    writes.push({ what: 'dataset', ref: d, path: `$.datasets[${i}]`, assigns: d.domain }),
  )
  batch.jobs.forEach((j, i) =>
    writes.push({ what: 'job', ref: j, path: `$.jobs[${i}]`, assigns: j.domain }),
  )
  batch.runs.forEach((r, i) => writes.push({ what: 'job', ref: r.job, path: `$.runs[${i}].job` }))
  batch.edges.forEach((e, i) => {
    writes.push({ what: 'job', ref: e.job, path: `$.edges[${i}].job` })
    if (e.direction === 'output')
      writes.push({ what: 'dataset', ref: e.dataset, path: `$.edges[${i}].dataset` })
  })
  batch.columnEdges.forEach((c, i) =>
    writes.push({ what: 'dataset', ref: c.dataset, path: `$.columnEdges[${i}].dataset` }),
  )
  batch.checks.forEach((c, i) =>
    writes.push({ what: 'dataset', ref: c.dataset, path: `$.checks[${i}].dataset` }),
  )
  batch.assertions.forEach((a, i) =>
    writes.push({ what: 'dataset', ref: a.dataset, path: `$.assertions[${i}].dataset` }),
  )
  batch.metrics.forEach((m, i) =>
    writes.push({ what: 'dataset', ref: m.dataset, path: `$.metrics[${i}].dataset` }),
  )
  batch.products.forEach((p, i) => {
    writes.push({ what: 'product', ref: p.id, path: `$.products[${i}]`, assigns: p.domain })
    p.outputs.forEach((o, j) =>
      writes.push({ what: 'dataset', ref: o, path: `$.products[${i}].outputs[${j}]` }),
    )
  })

  // A domain the batch itself gives a dataset/job counts as its owner wherever else it is named.
  const assigned = new Map<string, string>()
  for (const w of writes) {
    if (w.assigns !== undefined && typeof w.ref !== 'string')
      assigned.set(`${w.what}:${refKey(w.ref)}`, w.assigns)
  }
  const refs = (what: Write['what']) =>
    writes.filter((w) => w.what === what && typeof w.ref !== 'string').map((w) => w.ref as Ref)
  const stored = storedOwners(db, {
    datasets: refs('dataset'),
    jobs: refs('job'),
    products: writes.filter((w) => w.what === 'product').map((w) => w.ref as string),
  })

  for (const w of writes) {
    const key = typeof w.ref === 'string' ? w.ref : refKey(w.ref)
    const storedOwner =
      w.what === 'dataset'
        ? stored.datasets.get(key)
        : w.what === 'job'
          ? stored.jobs.get(key)
          : w.what === 'product'
            ? stored.products.get(key)
            : undefined
    if (storedOwner != null && storedOwner !== domain) {
      return {
        path: w.path,
        message: `${label(w)} belongs to domain ${storedOwner}; this token may only write domain ${domain}`,
      }
    }
    const claim = w.assigns ?? assigned.get(`${w.what}:${key}`)
    if (w.what === 'domain' && claim !== domain) {
      return {
        path: w.path,
        message: `the record of domain ${claim} belongs to domain ${claim}; this token may only write domain ${domain}`,
      }
    }
    if (claim !== undefined && claim !== domain) {
      return {
        path: w.path,
        message: `${label(w)} is assigned to domain ${claim}; this token may only write domain ${domain}`,
      }
    }
  }
  return undefined
}

/**
 * Aborts with 403 (naming the resource and its owner) when the caller's token may not write all of
 * `batch`. `at` is the request's JSON path when the batch was derived (an OpenLineage event).
 */
export function assertCanWrite(c: Context, db: Db, batch: Batch, at?: string): void {
  const p: Principal | undefined = c.get('principal')
  if (p?.domain == null) return
  const denial = findForeignWrite(db, p.domain, batch)
  if (denial) fail(403, 'forbidden', denial.message, at ?? denial.path)
}
