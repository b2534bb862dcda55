import { inArray } from 'drizzle-orm'
import type { Ref } from '../../collectors/batch.ts'
import { refKey } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import { datasetAliases, datasets, jobs, products } from '../schema.ts'
import { chunk } from './merge.ts'

export interface StoredOwners {
  /** refKey → stored domain (null: unowned), for datasets named directly or through an alias. */
  datasets: Map<string, string | null>
  jobs: Map<string, string | null>
  products: Map<string, string>
}

/** The domains currently stored for the given datasets, jobs and products (absent: not stored yet). */
export function storedOwners(
  db: Db,
  refs: { datasets: Ref[]; jobs: Ref[]; products: string[] },
): StoredOwners {
  const out: StoredOwners = { datasets: new Map(), jobs: new Map(), products: new Map() }
  const dsNames = [...new Set(refs.datasets.map((r) => r.name))]
  const wantedDs = new Set(refs.datasets.map(refKey))
  for (const part of chunk(dsNames, 2000)) {
    const rows = db
      .select({ namespace: datasets.namespace, name: datasets.name, domain: datasets.domain })
      .from(datasets)
      .where(inArray(datasets.name, part))
      .all()
    for (const r of rows) if (wantedDs.has(refKey(r))) out.datasets.set(refKey(r), r.domain)
    const aliases = db
      .select({
        namespace: datasetAliases.namespace,
        name: datasetAliases.name,
        datasetId: datasetAliases.datasetId,
      })
      .from(datasetAliases)
      .where(inArray(datasetAliases.name, part))
      .all()
      .filter((a) => wantedDs.has(refKey(a)) && !out.datasets.has(refKey(a)))
    if (aliases.length > 0) {
      const targets = db
        .select({ id: datasets.id, domain: datasets.domain })
        .from(datasets)
        .where(inArray(datasets.id, [...new Set(aliases.map((a) => a.datasetId))]))
        .all()
      const domainOf = new Map(targets.map((t) => [t.id, t.domain]))
      for (const a of aliases) out.datasets.set(refKey(a), domainOf.get(a.datasetId) ?? null)
    }
  }
  const wantedJobs = new Set(refs.jobs.map(refKey))
  for (const part of chunk([...new Set(refs.jobs.map((r) => r.name))], 2000)) {
    const rows = db
      .select({ namespace: jobs.namespace, name: jobs.name, domain: jobs.domain })
      .from(jobs)
      .where(inArray(jobs.name, part))
      .all()
    for (const r of rows) if (wantedJobs.has(refKey(r))) out.jobs.set(refKey(r), r.domain)
  }
  for (const part of chunk([...new Set(refs.products)], 2000)) {
    const rows = db
      .select({ id: products.id, domain: products.domain })
      .from(products)
      .where(inArray(products.id, part))
      .all()
    for (const r of rows) out.products.set(r.id, r.domain)
  }
  return out
}
