import type * as lite from '../../queries/lineage.ts'
import type { LineageEdge, LineageNode, LineageOptions, NodeId } from '../../queries/lineage.ts'
import type { PgConn, PgModule } from '../module.ts'

// The lineage neighbourhood on PostgreSQL: one statement, a recursive CTE per walk direction.
// A node is an int8 key (a dataset its id, a job minus its id). Each step of a walk is one row
// holding the whole frontier and the set of nodes seen so far (by either walk, as SQLite's one
// depth map), so every node is visited once however many paths reach it. New nodes are taken in
// SQLite's order (by the frontier node they are reached from, datasets first, then their own id)
// until maxNodes are collected; the edges are those read from each expanded frontier node.

const key = (n: NodeId): number => {
  const id = Number(n.slice(n.indexOf(':') + 1))
  return n.startsWith('dataset:') ? id : -id
}
const nodeOf = (k: number): NodeId => (k > 0 ? `dataset:${k}` : `job:${-k}`)

// Neighbours of a frontier's nodes in one walk direction (`up` as 'output'/'input' for a
// dataset's/job's edge, `down` the mirror), with the key they are reached from.
const step = (fromDataset: string, fromJob: string) => `
  select e.dataset_id as f, -e.job_id as n from lineage_edges e
   where e.dataset_id = any(array(select x from unnest(w.frontier) x where x > 0))
     and e.direction = '${fromDataset}'
  union all
  select -e.job_id, e.dataset_id from lineage_edges e
   where e.job_id = any(array(select -x from unnest(w.frontier) x where x < 0))
     and e.direction = '${fromJob}'`

const walk = (name: string, fromDataset: string, fromJob: string, start: string) => `
  ${name}(depth, frontier, seen, truncated) as (
    select 0, array[$1::int8], ${start}, false
     where ${name === 'up' ? "$3 <> 'down'" : "$3 <> 'up'"}
    union all
    select w.depth + 1, s.next, w.seen || s.next, w.truncated or s.over
      from ${name} w cross join lateral (
        select coalesce(array_agg(c.n order by c.rn) filter (where c.rn <= $4 - cardinality(w.seen)), '{}') as next,
               coalesce(bool_or(c.rn > $4 - cardinality(w.seen)), false) as over
          from (select n, row_number() over (order by min((f < 0)::int), min(abs(f)), abs(n)) as rn
                  from (${step(fromDataset, fromJob)}) e
                 where n not in (select unnest(w.seen)) group by n) c
      ) s
     where w.depth < $2 and cardinality(w.frontier) > 0
  )`

const NEIGHBOURHOOD = `
  with recursive
  ${walk('up', 'output', 'input', 'array[$1::int8]')},
  ${walk('down', 'input', 'output', 'coalesce((select seen from up order by depth desc limit 1), array[$1::int8])')},
  levels as (
    select 0 as walk, depth, frontier, truncated from up
    union all
    select 1, depth, frontier, truncated from down
  ),
  found as (
    select distinct on (n) n, depth from (select walk, depth, unnest(frontier) as n from levels) x
     order by n, walk, depth
  ),
  read_edges as (
    select l.walk, l.depth, f.f, f.n, f.kind from levels l cross join lateral (
      select e.dataset_id as f, -e.job_id as n, 0 as kind from lineage_edges e
       where e.dataset_id = any(array(select x from unnest(l.frontier) x where x > 0))
         and e.direction = case l.walk when 0 then 'output' else 'input' end
      union all
      select -e.job_id, e.dataset_id, 1 from lineage_edges e
       where e.job_id = any(array(select -x from unnest(l.frontier) x where x < 0))
         and e.direction = case l.walk when 0 then 'input' else 'output' end
    ) f where l.depth < $2
  )
  select * from (
  select 0 as what, n as a, null::int8 as b, depth, null::int as walk, null::int as kind from found
  union all
  select 1, f, n, depth, walk, kind from read_edges
  union all
  select 2, null, null, null, null, null from levels where truncated
  ) x order by what, walk, depth, kind, abs(a), abs(b)`

/** 0 a node (a) at its depth, 1 an edge read from a (frontier) to b in walk 0 (up) or 1, 2 truncated. */
interface Row {
  what: 0 | 1 | 2
  a: number
  b: number
  depth: number
  walk: number
}

interface NodeRow {
  id: number
  namespace: string
  name: string
  domain: string | null
  type: string | null
}

/** The neighbourhood as SQLite's lineageNeighbourhood answers it. */
export async function pgNeighbourhood(q: PgConn, opts: LineageOptions) {
  const maxNodes = opts.maxNodes ?? 5000
  const rows = (
    await q.query<Row>(NEIGHBOURHOOD, [key(opts.node), opts.depth, opts.direction, maxNodes])
  ).rows
  const depthOf = new Map<NodeId, number>()
  const edges = new Map<string, LineageEdge>()
  let truncated = false
  for (const r of rows) {
    if (r.what === 0) depthOf.set(nodeOf(r.a), r.depth)
    else if (r.what === 2) truncated = true
    else {
      const [from, to] = [nodeOf(r.a), nodeOf(r.b)]
      // up reads a dataset's producer (job → dataset) and a job's inputs (dataset → job): the
      // edge points at the frontier node; down reads the mirror, pointing away from it
      const [source, target] = r.walk === 0 ? [to, from] : [from, to]
      edges.set(`${source}>${target}`, { source, target })
    }
  }
  const nodes = await describeNodes(q, [...depthOf.keys()], depthOf)
  const present = new Set(nodes.map((n) => n.id))
  return {
    root: opts.node,
    nodes,
    edges: [...edges.values()].filter((e) => present.has(e.source) && present.has(e.target)),
    truncated,
  }
}

async function describeNodes(
  q: PgConn,
  ids: NodeId[],
  depthOf: Map<NodeId, number>,
): Promise<LineageNode[]> {
  const ds = ids.filter((n) => n.startsWith('dataset:')).map(key)
  const js = ids.filter((n) => n.startsWith('job:')).map((n) => -key(n))
  const out: LineageNode[] = []
  const r = await q.query<NodeRow & { kind: 'dataset' | 'job' }>(
    `(select 'dataset' as kind, id, namespace, name, domain, kind as type from datasets
       where id = any($1::int8[]) order by id)
     union all
     (select 'job', id, namespace, name, domain, type from jobs where id = any($2::int8[]) order by id)`,
    [ds, js],
  )
  for (const n of r.rows) {
    const id: NodeId = `${n.kind}:${n.id}`
    out.push({
      id,
      kind: n.kind,
      namespace: n.namespace,
      name: n.name,
      domain: n.domain,
      type: n.type,
      depth: depthOf.get(id) ?? 0,
    })
  }
  return out.sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name))
}

export const lineage = {
  lineageNeighbourhood: pgNeighbourhood,
} satisfies PgModule<typeof lite>
