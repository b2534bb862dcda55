import type { Batch, Ref } from '../../../collectors/batch.ts'
import { assertNotRaced } from './absent.ts'
import { byKey, jsonOrNull, orNull, unnest } from './unnest.ts'
import type { Writes } from './writes.ts'

// storeBatch's checks, test results, metrics and products on PostgreSQL: one statement per
// table, repeats of a key folded first, rows in key order, unchanged rows left as they are.
// Checks and products are read first and only new or changed ones upserted: an upsert whose
// update does nothing still locks the row it finds until commit, so two writers storing the same
// project's unchanged checks would wait for each other. A row another writer changes after the
// read is that writer's change after this batch (a serial order); one it inserts meanwhile is
// upserted as before. A key the authorization found absent is always upserted (its guard).

/** The stored rows of `keys` whose `columns` are already `want`'s (compared as text for json). */
async function unchanged<T>(
  tx: Writes,
  table: 'checks' | 'products',
  key: 'key' | 'id',
  columns: readonly string[],
  rows: ReadonlyMap<string, T>,
  want: (row: T) => readonly unknown[],
  json: ReadonlySet<string> = new Set(),
): Promise<Set<string>> {
  const r = await tx.query<Record<string, unknown>>(
    `select ${key} as k, ${columns.map((c) => (json.has(c) ? `"${c}"::text as "${c}"` : `"${c}"`)).join(', ')}
       from ${table} where ${key} = any($1::text[])`,
    [[...rows.keys()]],
  )
  const out = new Set<string>()
  for (const stored of r.rows) {
    const k = stored.k as string
    const row = rows.get(k)
    if (row === undefined) continue
    const w = want(row)
    if (columns.every((c, i) => stored[c] === (w[i] ?? null))) out.add(k)
  }
  return out
}

export async function storeChecks(
  tx: Writes,
  checks: Batch['checks'],
  dsId: (r: Ref) => number,
  domain: string | null,
  now: string,
  absent?: ReadonlySet<string>,
): Promise<void> {
  // Repeats of a key folded as the row-by-row upserts apply them: the last wins, but the
  // origin, which only the insert sets. Rows change at most once.
  const folded = new Map<string, Batch['checks'][number]>()
  for (const c of checks) {
    const first = folded.get(c.key)
    folded.set(c.key, first ? { ...c, origin: first.origin } : c)
  }
  if (folded.size > 0) {
    const same = await unchanged(
      tx,
      'checks',
      'key',
      ['dataset_id', 'column', 'kind', 'name', 'severity'],
      folded,
      (c) => [dsId(c.dataset), c.column, c.kind, c.name, c.severity],
    )
    for (const k of same) if (!absent?.has(k)) folded.delete(k)
  }
  if (folded.size > 0) {
    const part = [...folded.values()].sort((a, b) => byKey(a.key, b.key))
    const u = unnest(
      {
        key: 'text',
        dataset_id: 'int8',
        column: 'text',
        kind: 'text',
        name: 'text',
        severity: 'text',
        origin: 'text',
      },
      part.length,
      (c, i) => {
        const x = part[i]
        if (!x) return null
        return c === 'dataset_id' ? dsId(x.dataset) : c === 'column' ? x.column : x[c as 'key']
      },
    )
    // A scoped batch's key not stored at its check is only inserted (absent.ts).
    const guard = part.map((c) => c.key).filter((k) => absent?.has(k))
    tx.hold<{ key: string }>(
      `insert into checks as t (key, dataset_id, "column", kind, name, severity, origin, updated_at)
       select u.key, u.dataset_id, u."column", u.kind, u.name, u.severity, u.origin, $8::text
         from ${u.from} order by u.ord
           on conflict (key) do update
          set dataset_id = excluded.dataset_id, "column" = excluded."column", kind = excluded.kind,
              name = excluded.name, severity = excluded.severity, updated_at = excluded.updated_at
        where (excluded.dataset_id, excluded."column", excluded.kind, excluded.name, excluded.severity)
              is distinct from (t.dataset_id, t."column", t.kind, t.name, t.severity)
          and t.key <> all($9::text[])
    returning key`,
      [...u.values, now, guard],
      (rows) => {
        const written = new Set(rows.map((x) => x.key))
        assertNotRaced(
          'check',
          absent,
          guard.filter((k) => !written.has(k)),
        )
      },
    )
  }
  // Results an OpenLineage emitter (dbt-ol) sent before dbt's own artifacts named the test take
  // the check's key and dataset (statements.ts rekeyEarlierResults); most stores have none.
  const named = [...new Set(checks.filter((c) => c.origin !== 'openlineage').map((c) => c.name))]
  if (named.length === 0) return
  const r = await tx.query<{ name: string }>(
    `select distinct name from assertions
      where origin = 'openlineage' and key ilike 'openlineage:%' and name = any($1::text[])`,
    [named],
  )
  const rekeyable = new Set(r.rows.map((x) => x.name))
  if (domain !== null && rekeyable.size > 0)
    // A scoped writer moves only results on its own or unowned datasets (the update below):
    // the results' datasets are locked first, in key order, so no other writer gives one to
    // another domain between that check and the move.
    await tx.query(
      `select d.id from datasets d
        where d.id in (select a.dataset_id from assertions a
                        where a.origin = 'openlineage' and a.key ilike 'openlineage:%'
                          and a.name = any($1::text[]))
        order by d.namespace, d.name for no key update of d`,
      [[...rekeyable]],
    )
  for (const c of checks) {
    if (c.origin === 'openlineage' || !rekeyable.has(c.name)) continue
    await tx.query(
      `update assertions set key = $1, dataset_id = $2
        where origin = 'openlineage' and key ilike 'openlineage:%' and name = $3
          and (dataset_id = $2 or (select count(*) from checks where name = $3) = 1)
          and not exists (select 1 from assertions a2 where a2.key = $1
                           and a2.dataset_id = $2 and a2.observed_at = assertions.observed_at)
          and ($4::text is null
               or coalesce((select d.domain from datasets d where d.id = assertions.dataset_id), $4) = $4)`,
      [c.key, dsId(c.dataset), c.name, domain],
    )
  }
}

export async function storeAssertions(
  tx: Writes,
  assertions: Batch['assertions'],
  dsId: (r: Ref) => number,
): Promise<void> {
  if (assertions.length === 0) return
  const rows = assertions.map((a) => ({ a, datasetId: dsId(a.dataset) }))
  rows.sort(
    (x, y) =>
      byKey(x.a.key, y.a.key) || x.datasetId - y.datasetId || byKey(x.a.observedAt, y.a.observedAt),
  )
  const u = unnest(
    {
      key: 'text',
      dataset_id: 'int8',
      column: 'text',
      name: 'text',
      status: 'text',
      severity: 'text',
      failures: 'int8',
      message: 'text',
      observed_at: 'text',
      origin: 'text',
      run_id: 'text',
    },
    rows.length,
    (c, i) => {
      const x = rows[i]
      if (!x) return null
      const a = x.a
      switch (c) {
        case 'dataset_id':
          return x.datasetId
        case 'observed_at':
          return a.observedAt
        case 'run_id':
          return orNull(a.runId)
        default:
          return orNull(a[c as 'key' | 'column' | 'name' | 'status' | 'severity' | 'failures'])
      }
    },
  )
  tx.hold(
    `insert into assertions (key, dataset_id, "column", name, status, severity, failures, message,
                             observed_at, origin, run_id)
     select u.key, u.dataset_id, u."column", u.name, u.status, u.severity, u.failures, u.message,
            u.observed_at, u.origin, u.run_id
       from ${u.from} order by u.ord
         on conflict do nothing`,
    u.values,
  )
}

export async function storeMetrics(
  tx: Writes,
  metrics: Batch['metrics'],
  dsId: (r: Ref) => number,
): Promise<void> {
  // Repeats folded: the last value wins; the run id is the first's (only the insert sets it).
  const folded = new Map<string, Batch['metrics'][number]>()
  for (const m of metrics) {
    const k = JSON.stringify([dsId(m.dataset), m.name, m.observedAt])
    const first = folded.get(k)
    const { runId: _, ...rest } = m
    folded.set(k, first ? { ...rest, ...(first.runId ? { runId: first.runId } : {}) } : m)
  }
  if (folded.size > 0) {
    const rows = [...folded].map(([k, m]) => ({ m, k })).sort((a, b) => byKey(a.k, b.k))
    const u = unnest(
      {
        dataset_id: 'int8',
        name: 'text',
        value: 'float8',
        status: 'text',
        detail: 'text',
        observed_at: 'text',
        run_id: 'text',
      },
      rows.length,
      (c, i) => {
        const m = rows[i]?.m
        if (!m) return null
        return c === 'dataset_id'
          ? dsId(m.dataset)
          : c === 'observed_at'
            ? m.observedAt
            : c === 'run_id'
              ? m.runId
              : m[c as 'name' | 'value' | 'status' | 'detail']
      },
    )
    tx.hold(
      `insert into metrics as t (dataset_id, name, value, status, detail, observed_at, run_id)
       select u.dataset_id, u.name, u.value, u.status, u.detail, u.observed_at, u.run_id
         from ${u.from} order by u.ord
           on conflict (dataset_id, name, observed_at) do update
          set value = excluded.value, status = excluded.status, detail = excluded.detail
        where (excluded.value, excluded.status, excluded.detail)
              is distinct from (t.value, t.status, t.detail)`,
      u.values,
    )
  }
}

export async function storeProducts(
  tx: Writes,
  products: Batch['products'],
  dsId: (r: Ref) => number,
  now: string,
  absent?: ReadonlySet<string>,
): Promise<void> {
  if (products.length === 0) return
  // A repeated product is its last mention (every field is replaced).
  const last = new Map(products.map((p) => [p.id, p]))
  const same = await unchanged(
    tx,
    'products',
    'id',
    ['name', 'domain', 'owner', 'description', 'origin', 'sla'],
    last,
    (p) => [p.name, p.domain, p.owner, p.description, p.origin, jsonOrNull(p.sla)],
    new Set(['sla']),
  )
  for (const id of same) if (!absent?.has(id)) last.delete(id)
  if (last.size > 0) {
    const part = [...last.values()].sort((a, b) => byKey(a.id, b.id))
    const u = unnest(
      {
        id: 'text',
        name: 'text',
        domain: 'text',
        owner: 'text',
        description: 'text',
        origin: 'text',
        sla: 'json',
      },
      part.length,
      (c, i) => {
        const p = part[i]
        if (!p) return null
        return c === 'sla'
          ? jsonOrNull(p.sla)
          : p[c as 'id' | 'name' | 'domain' | 'owner' | 'description' | 'origin']
      },
    )
    // A scoped batch's product not stored at its check is only inserted (absent.ts).
    const guard = part.map((p) => p.id).filter((id) => absent?.has(id))
    tx.hold<{ id: string }>(
      `insert into products as t (id, name, domain, owner, description, origin, sla, updated_at)
       select u.id, u.name, u.domain, u.owner, u.description, u.origin, u.sla::json, $8::text
         from ${u.from} order by u.ord
           on conflict (id) do update
          set name = excluded.name, domain = excluded.domain, owner = excluded.owner,
              description = excluded.description, origin = excluded.origin, sla = excluded.sla,
              updated_at = excluded.updated_at
        where (excluded.name, excluded.domain, excluded.owner, excluded.description,
               excluded.origin, excluded.sla::text)
              is distinct from (t.name, t.domain, t.owner, t.description, t.origin, t.sla::text)
          and t.id <> all($9::text[])
    returning id`,
      [...u.values, now, guard],
      (rows) => {
        const written = new Set(rows.map((x) => x.id))
        assertNotRaced(
          'product',
          absent,
          guard.filter((id) => !written.has(id)),
        )
      },
    )
  }
  // Each product's outputs are its last mention's (SQLite deletes and inserts them each time).
  const outputs = new Map<string, number[]>()
  for (const p of products) outputs.set(p.id, [...new Set(p.outputs.map(dsId))])
  const rows = [...outputs]
    .sort(([a], [b]) => byKey(a, b))
    .flatMap(([productId, ids]) =>
      ids.sort((a, b) => a - b).map((datasetId) => ({ productId, datasetId })),
    )
  const u = unnest({ product_id: 'text', dataset_id: 'int8' }, rows.length, (c, i) =>
    c === 'product_id' ? rows[i]?.productId : rows[i]?.datasetId,
  )
  tx.hold(
    `delete from product_outputs o
      where o.product_id = any($3::text[])
        and not exists (select 1 from ${u.from}
                         where u.product_id = o.product_id and u.dataset_id = o.dataset_id)`,
    [...u.values, [...outputs.keys()]],
  )
  if (rows.length === 0) return
  tx.hold(
    `insert into product_outputs (product_id, dataset_id)
     select u.product_id, u.dataset_id from ${u.from} order by u.ord on conflict do nothing`,
    u.values,
  )
}
