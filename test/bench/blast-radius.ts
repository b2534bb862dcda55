// The blast radius of every incident of the quality bench's graph (in benchQuality, after its store
// run has opened them): ours against the same walk as one recursive CTE, in turn, CPU time.
import type { Db } from '../../db/client.ts'
import { blastRadius } from '../../db/queries/incidents.ts'
import type { BenchRow } from './run.ts'

// Ours costs ~0.5x the CTE on the 2-core dev machine (2.4 vs 4.6 ms CPU an incident: it walks each
// dataset once, the CTE once per depth it reaches it at); the query before it, ~250x (1.2 s).
const GOAL = 3
const DEPTH = 12

/** The same walk in one statement: readers of a dataset, their child jobs, what those write. */
function blastPlain(db: Db): (productId: string) => unknown[] {
  const stmt = db.$client.prepare(`
    with recursive walk(kind, id, depth) as (
      select 'dataset', dataset_id, 0 from product_outputs where product_id = @p
      union
      select 'job', e.job_id, w.depth from walk w
        join lineage_edges e on e.dataset_id = w.id and e.direction = 'input'
        where w.kind = 'dataset' and w.depth < @d
      union
      select 'job', j.id, w.depth from walk w join jobs j on j.parent_id = w.id where w.kind = 'job'
      union
      select 'dataset', e.dataset_id, w.depth + 1 from walk w
        cross join lineage_edges e on e.job_id = w.id and e.direction = 'output'
        where w.kind = 'job'
    )
    select p.id as productId, p.name as name, p.domain as domain, p.owner as owner,
      min(w.depth) - 1 as hops
    from walk w join product_outputs po on po.dataset_id = w.id join products p on p.id = po.product_id
    where w.kind = 'dataset' and w.depth > 0 and p.id <> @p
      and p.domain <> (select domain from products where id = @p)
      and w.id not in (select dataset_id from product_outputs where product_id = @p)
    group by p.id order by hops, p.id`)
  return (p) => stmt.all({ p, d: DEPTH })
}

const cpu = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

export function benchBlastRadius(db: Db): BenchRow {
  const products = db.$client
    .prepare('select distinct product_id from incidents order by product_id')
    .pluck()
    .all() as string[]
  const plain = blastPlain(db)
  const rounds: { ours: number; plain: number }[] = []
  let reached = 0
  for (let round = 0; round < 3; round++) {
    let ours = 0
    let base = 0
    reached = 0
    for (const id of products) {
      const c0 = cpu()
      const a = blastRadius(db, id, DEPTH)
      const c1 = cpu()
      const b = plain(id)
      base += cpu() - c1
      ours += c1 - c0
      reached += a.length
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new Error(`blast radius of ${id}: ${a.length} products, the CTE finds ${b.length}`)
    }
    rounds.push({ ours, plain: base })
  }
  const mid = [...rounds].sort((x, y) => x.ours / x.plain - y.ours / y.plain)[1] ?? rounds[0]
  const ratio = mid ? mid.ours / mid.plain : Number.NaN
  const each = (ms: number) => (ms / Math.max(products.length, 1)).toFixed(1)
  return {
    name: `incidents: blast radius (${DEPTH} hops) of the ${products.length} incidents vs the same walk as one recursive CTE (CPU)`,
    value: ratio,
    unit: '×',
    goal: `≤ ${GOAL}×`,
    ok: ratio <= GOAL,
    detail: `median of 3 rounds: ${each(mid?.ours ?? 0)} ms vs ${each(mid?.plain ?? 0)} ms an incident; ${reached} products reached in all`,
  }
}
