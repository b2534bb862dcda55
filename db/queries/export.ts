import { asc, eq, gt, inArray } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { datasets, jobs, lineageEdges } from '../schema.ts'

const PAGE = 5000

/** Every dataset, in id order, a page at a time (keyset pagination keeps memory flat). */
export function* iterateDatasets(db: Db) {
  let after = 0
  for (;;) {
    const page = db
      .select()
      .from(datasets)
      .where(gt(datasets.id, after))
      .orderBy(asc(datasets.id))
      .limit(PAGE)
      .all()
    if (page.length === 0) return
    yield* page
    after = page[page.length - 1]?.id ?? after
  }
}

/** Every job with its input and output dataset refs, a page at a time. */
export function* iterateJobsWithEdges(db: Db) {
  let after = 0
  for (;;) {
    const page = db
      .select()
      .from(jobs)
      .where(gt(jobs.id, after))
      .orderBy(asc(jobs.id))
      .limit(PAGE)
      .all()
    if (page.length === 0) return
    const edges = db
      .select({
        jobId: lineageEdges.jobId,
        direction: lineageEdges.direction,
        namespace: datasets.namespace,
        name: datasets.name,
      })
      .from(lineageEdges)
      .innerJoin(datasets, eq(datasets.id, lineageEdges.datasetId))
      .where(
        inArray(
          lineageEdges.jobId,
          page.map((j) => j.id),
        ),
      )
      .all()
    const byJob = new Map<number, typeof edges>()
    for (const e of edges) {
      const list = byJob.get(e.jobId)
      if (list) list.push(e)
      else byJob.set(e.jobId, [e])
    }
    const parentIds = [...new Set(page.flatMap((j) => (j.parentId === null ? [] : [j.parentId])))]
    const parents = new Map(
      (parentIds.length === 0
        ? []
        : db
            .select({ id: jobs.id, namespace: jobs.namespace, name: jobs.name })
            .from(jobs)
            .where(inArray(jobs.id, parentIds))
            .all()
      ).map((p) => [p.id, p]),
    )
    for (const job of page) {
      const es = byJob.get(job.id) ?? []
      const parent = job.parentId === null ? undefined : parents.get(job.parentId)
      yield {
        job,
        parentRef: parent ? { namespace: parent.namespace, name: parent.name } : undefined,
        inputs: es
          .filter((e) => e.direction === 'input')
          .map(({ namespace, name }) => ({ namespace, name })),
        outputs: es
          .filter((e) => e.direction === 'output')
          .map(({ namespace, name }) => ({ namespace, name })),
      }
    }
    after = page[page.length - 1]?.id ?? after
  }
}
