import { and, eq, Param, Placeholder, sql } from 'drizzle-orm'
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from '../client.ts'
import {
  assertions,
  batches,
  checks,
  columnEdges,
  columnLineageInputs,
  datasetAliases,
  datasets,
  datasetVersions,
  domains,
  jobs,
  lineageEdges,
  metrics,
  productOutputs,
  products,
  rawEvents,
  runs,
} from '../schema.ts'

// Ingest runs prepared statements compiled once from drizzle queries (fast); the bulk ones run
// many rows per execution (fastMany): building a multi-row insert with drizzle's query builder
// per batch would cost more (query text, params, garbage) than SQLite spends executing it.
const p = sql.placeholder
// Nullable JSON and boolean columns bypass drizzle's column encoders, which turn null into the
// text 'null' and false: callers pass encodeJson()/encodeBool() values, so NULL stays NULL.
const raw = (name: string) => sql`${sql.placeholder(name)}`
const excluded = (col: string) => sql.raw(`excluded.${col}`)
const keep = (table: string, col: string) =>
  sql.raw(`coalesce(excluded.${col}, "${table}"."${col}")`)
const weak = (col: string) =>
  sql.raw(
    `case when excluded.kind = 'asset' then coalesce("datasets"."${col}", excluded.${col}) else coalesce(excluded.${col}, "datasets"."${col}") end`,
  )

// The same rules by id, for a dataset a batch describes under another of its names (an alias).
const fill = (name: string, col: AnySQLiteColumn) => sql`coalesce(${p(name)}, ${col})`
const weakFill = (name: string, col: AnySQLiteColumn) =>
  sql`case when ${p('kind')} = 'asset' then coalesce(${col}, ${p(name)}) else coalesce(${p(name)}, ${col}) end`

function upsertDatasetQuery(db: Db) {
  return db
    .insert(datasets)
    .values({
      namespace: p('namespace'),
      name: p('name'),
      domain: p('domain'),
      owner: p('owner'),
      kind: p('kind'),
      description: p('description'),
      access: p('access'),
      contractEnforced: raw('contractEnforced'),
      columns: raw('columns'),
      tags: raw('tags'),
      meta: raw('meta'),
      sourceFile: p('sourceFile'),
      externalId: p('externalId'),
      firstSeenAt: p('now'),
      updatedAt: p('now'),
    })
    .onConflictDoUpdate({
      target: [datasets.namespace, datasets.name],
      set: {
        domain: keep('datasets', 'domain'),
        owner: keep('datasets', 'owner'),
        // An orchestrator's asset names a table someone else describes (a dbt model): what it
        // says of kind, id and description only fills gaps, never overwrites.
        kind: weak('kind'),
        description: weak('description'),
        access: keep('datasets', 'access'),
        contractEnforced: keep('datasets', 'contract_enforced'),
        columns: keep('datasets', 'columns'),
        tags: keep('datasets', 'tags'),
        meta: keep('datasets', 'meta'),
        sourceFile: keep('datasets', 'source_file'),
        externalId: weak('external_id'),
        updatedAt: excluded('updated_at'),
      },
    })
}

function upsertJobQuery(db: Db) {
  return db
    .insert(jobs)
    .values({
      namespace: p('namespace'),
      name: p('name'),
      domain: p('domain'),
      owner: p('owner'),
      type: p('type'),
      parentId: p('parentId'),
      description: p('description'),
      schedule: raw('schedule'),
      meta: raw('meta'),
      externalId: p('externalId'),
      updatedAt: p('now'),
    })
    .onConflictDoUpdate({
      target: [jobs.namespace, jobs.name],
      set: {
        domain: keep('jobs', 'domain'),
        owner: keep('jobs', 'owner'),
        type: sql.raw(`case when excluded.type = 'job' then "jobs"."type" else excluded.type end`),
        parentId: keep('jobs', 'parent_id'),
        description: keep('jobs', 'description'),
        schedule: keep('jobs', 'schedule'),
        meta: keep('jobs', 'meta'),
        externalId: keep('jobs', 'external_id'),
        updatedAt: excluded('updated_at'),
      },
    })
}

function upsertEdgeQuery(db: Db) {
  return db
    .insert(lineageEdges)
    .values({
      jobId: p('jobId'),
      datasetId: p('datasetId'),
      direction: p('direction'),
      updatedAt: p('now'),
    })
    .onConflictDoUpdate({
      target: [lineageEdges.jobId, lineageEdges.datasetId, lineageEdges.direction],
      set: { updatedAt: excluded('updated_at') },
    })
}

function insertVersionQuery(db: Db) {
  return db.insert(datasetVersions).values({
    datasetId: p('datasetId'),
    columnsHash: p('hash'),
    columns: raw('columns'),
    observedAt: p('observedAt'),
  })
}

function upsertCheckQuery(db: Db) {
  return db
    .insert(checks)
    .values({
      key: p('key'),
      datasetId: p('datasetId'),
      column: p('column'),
      kind: p('kind'),
      name: p('name'),
      severity: p('severity'),
      origin: p('origin'),
      updatedAt: p('now'),
    })
    .onConflictDoUpdate({
      target: checks.key,
      set: {
        datasetId: excluded('dataset_id'),
        column: excluded('column'),
        kind: excluded('kind'),
        name: excluded('name'),
        severity: excluded('severity'),
        updatedAt: excluded('updated_at'),
      },
    })
}

function insertColumnEdgeQuery(db: Db) {
  return db
    .insert(columnEdges)
    .values({
      datasetId: p('datasetId'),
      column: p('column'),
      fromDatasetId: p('fromDatasetId'),
      fromColumn: p('fromColumn'),
      transformation: p('transformation'),
      source: p('source'),
    })
    .onConflictDoNothing()
}

function insertAssertionQuery(db: Db) {
  return db
    .insert(assertions)
    .values({
      key: p('key'),
      datasetId: p('datasetId'),
      column: p('column'),
      name: p('name'),
      status: p('status'),
      severity: p('severity'),
      failures: p('failures'),
      message: p('message'),
      observedAt: p('observedAt'),
      origin: p('origin'),
      runId: p('runId'),
    })
    .onConflictDoNothing()
}

function prepareAll(db: Db, manyRows: number) {
  const fastMany = <T>(on: Db, query: Compilable) => compileMany<T>(on, query, manyRows)
  return {
    insertRawEvent: fast<never>(
      db,
      db
        .insert(rawEvents)
        .values({
          eventHash: p('eventHash'),
          kind: p('kind'),
          runId: p('runId'),
          jobNamespace: p('jobNamespace'),
          jobName: p('jobName'),
          eventType: p('eventType'),
          eventTime: p('eventTime'),
          receivedAt: p('receivedAt'),
          payload: p('payload'),
          domain: p('domain'),
        })
        .onConflictDoNothing(),
    ),
    batchByHash: db
      .select({ id: batches.id })
      .from(batches)
      .where(eq(batches.contentHash, p('hash')))
      .prepare(),
    insertBatch: db
      .insert(batches)
      .values({
        kind: p('kind'),
        scope: p('scope'),
        contentHash: p('contentHash'),
        receivedAt: p('receivedAt'),
        summary: p('summary'),
        payload: p('payload'),
      })
      .returning({ id: batches.id })
      .prepare(),
    upsertDomain: fast<{ id: number }>(
      db,
      db
        .insert(domains)
        .values({
          name: p('name'),
          owner: p('owner'),
          description: p('description'),
          updatedAt: p('now'),
        })
        .onConflictDoUpdate({
          target: domains.name,
          set: {
            owner: keep('domains', 'owner'),
            description: keep('domains', 'description'),
            updatedAt: excluded('updated_at'),
          },
        }),
    ),
    aliasByRef: fast<unknown>(
      db,
      db
        .select({ id: datasetAliases.datasetId })
        .from(datasetAliases)
        .where(
          and(eq(datasetAliases.namespace, p('namespace')), eq(datasetAliases.name, p('name'))),
        ),
      { pluck: true },
    ),
    // The aliases among a batch's names, in one pass: `refs` is a JSON array of [namespace, name].
    aliasesOfRefs: fast<NodeRow>(db, {
      toSQL: () => ({
        sql: `select a.dataset_id as id, a.namespace as namespace, a.name as name
          from json_each(?) j join dataset_aliases a
          on a.namespace = j.value ->> 0 and a.name = j.value ->> 1`,
        params: [p('refs')],
      }),
    }),
    anyAlias: fast<number>(
      db,
      db
        .select({ one: sql<number>`1` })
        .from(datasetAliases)
        .limit(1),
      {
        pluck: true,
      },
    ),
    datasetByRef: fast<{ id: number }>(
      db,
      db
        .select({ id: datasets.id })
        .from(datasets)
        .where(and(eq(datasets.namespace, p('namespace')), eq(datasets.name, p('name')))),
    ),
    insertAlias: fast<{ id: number }>(
      db,
      db
        .insert(datasetAliases)
        .values({ namespace: p('namespace'), name: p('name'), datasetId: p('datasetId') })
        .onConflictDoNothing(),
    ),
    upsertDatasets: fastMany<NodeRow>(
      db,
      upsertDatasetQuery(db).returning({
        id: datasets.id,
        namespace: datasets.namespace,
        name: datasets.name,
      }),
    ),
    // A no-op update so RETURNING also yields a row that already existed.
    describeDataset: fast<never>(
      db,
      db
        .update(datasets)
        .set({
          domain: fill('domain', datasets.domain),
          owner: fill('owner', datasets.owner),
          kind: weakFill('kind', datasets.kind),
          description: weakFill('description', datasets.description),
          access: fill('access', datasets.access),
          contractEnforced: fill('contractEnforced', datasets.contractEnforced),
          columns: fill('columns', datasets.columns),
          tags: fill('tags', datasets.tags),
          meta: fill('meta', datasets.meta),
          sourceFile: fill('sourceFile', datasets.sourceFile),
          externalId: weakFill('externalId', datasets.externalId),
          updatedAt: sql`${p('now')}`,
        })
        .where(eq(datasets.id, p('id'))),
    ),
    ensureDataset: fast<{ id: number }>(
      db,
      db
        .insert(datasets)
        .values({
          namespace: p('namespace'),
          name: p('name'),
          firstSeenAt: p('now'),
          updatedAt: p('now'),
        })
        .onConflictDoUpdate({
          target: [datasets.namespace, datasets.name],
          set: { namespace: excluded('namespace') },
        })
        .returning({ id: datasets.id }),
    ),
    latestVersion: fast<unknown>(
      db,
      db
        .select({ hash: datasetVersions.columnsHash })
        .from(datasetVersions)
        .where(eq(datasetVersions.datasetId, p('datasetId')))
        .orderBy(sql`${datasetVersions.id} desc`)
        .limit(1),
      { pluck: true },
    ),
    insertVersions: fastMany<never>(db, insertVersionQuery(db)),
    ensureJob: fast<{ id: number }>(
      db,
      db
        .insert(jobs)
        .values({ namespace: p('namespace'), name: p('name'), type: 'job', updatedAt: p('now') })
        .onConflictDoUpdate({
          target: [jobs.namespace, jobs.name],
          set: { namespace: excluded('namespace') },
        })
        .returning({ id: jobs.id }),
    ),
    upsertJobs: fastMany<NodeRow>(
      db,
      upsertJobQuery(db).returning({ id: jobs.id, namespace: jobs.namespace, name: jobs.name }),
    ),
    // A chunk's runs looked up in one query: `runIds` is a JSON array of run ids.
    runsByRunIds: fast<StoredRunRow>(
      db,
      db
        .select({
          runId: runs.runId,
          state: runs.state,
          startedAt: runs.startedAt,
          endedAt: runs.endedAt,
          nominalTime: runs.nominalTime,
          error: runs.error,
          rowsAffected: runs.rowsAffected,
          parentRunId: runs.parentRunId,
          facets: runs.facets,
        })
        .from(runs)
        .where(sql`${runs.runId} in (select value from json_each(${p('runIds')}))`),
    ),
    upsertRun: fast<{ id: number }>(
      db,
      db
        .insert(runs)
        .values({
          runId: p('runId'),
          jobId: p('jobId'),
          state: p('state'),
          startedAt: p('startedAt'),
          endedAt: p('endedAt'),
          nominalTime: p('nominalTime'),
          error: p('error'),
          rowsAffected: p('rowsAffected'),
          parentRunId: p('parentRunId'),
          facets: raw('facets'),
          updatedAt: p('now'),
        })
        .onConflictDoUpdate({
          target: runs.runId,
          set: {
            jobId: excluded('job_id'),
            state: excluded('state'),
            startedAt: excluded('started_at'),
            endedAt: excluded('ended_at'),
            nominalTime: excluded('nominal_time'),
            error: excluded('error'),
            rowsAffected: excluded('rows_affected'),
            parentRunId: excluded('parent_run_id'),
            facets: excluded('facets'),
            updatedAt: excluded('updated_at'),
          },
        }),
    ),
    // the edges of every job of a batch (a JSON array of their ids) in one statement: one
    // statement per job cost a 10k-model collect about a fifth of its edge upsert
    deleteEdgesOfJobs: fast<{ id: number }>(
      db,
      db
        .delete(lineageEdges)
        .where(sql`${lineageEdges.jobId} in (select value from json_each(${p('jobIds')}))`),
    ),
    upsertEdges: edgeList(db, upsertEdgeQuery(db), manyRows),
    insertColumnEdges: fastMany<never>(db, insertColumnEdgeQuery(db)),
    deleteColumnEdgesOf: fast<{ id: number }>(
      db,
      db
        .delete(columnEdges)
        .where(and(eq(columnEdges.datasetId, p('datasetId')), eq(columnEdges.source, p('source')))),
    ),
    columnLineageHashOf: fast<string>(
      db,
      db
        .select({ hash: columnLineageInputs.hash })
        .from(columnLineageInputs)
        .where(eq(columnLineageInputs.datasetId, p('datasetId'))),
      { pluck: true },
    ),
    upsertColumnLineageInput: fast<{ id: number }>(
      db,
      db
        .insert(columnLineageInputs)
        .values({
          datasetId: p('datasetId'),
          hash: p('hash'),
          columns: raw('columns'),
          updatedAt: p('now'),
        })
        .onConflictDoUpdate({
          target: columnLineageInputs.datasetId,
          set: {
            hash: excluded('hash'),
            columns: excluded('columns'),
            updatedAt: excluded('updated_at'),
          },
        }),
    ),
    deleteColumnLineageInput: fast<{ id: number }>(
      db,
      db.delete(columnLineageInputs).where(eq(columnLineageInputs.datasetId, p('datasetId'))),
    ),
    upsertChecks: fastMany<never>(db, upsertCheckQuery(db)),
    // Results an OpenLineage emitter (dbt-ol) sent before dbt's own artifacts named the test:
    // they take the check's key and dataset, so one test has one result history. Moving a result
    // off its dataset is a write to that dataset: a domain-scoped writer (`domain`) moves only
    // results on its own or unowned datasets.
    // What rekeyEarlierResults could move: the test names of results an OpenLineage emitter sent
    // under its own keys. A check whose name is not among them has nothing to move (most stores:
    // none), so its update (a scan of the results) is not run.
    openLineageResultNames: fast<string>(
      db,
      db
        .selectDistinct({ name: assertions.name })
        .from(assertions)
        .where(
          sql`${assertions.origin} = 'openlineage' and ${assertions.key} like 'openlineage:%'`,
        ),
      { pluck: true },
    ),
    // Whether any column edge derived from dbt SQL is stored (else none is there to replace).
    anyDerivedColumnEdge: fast<number>(
      db,
      db
        .select({ one: sql<number>`1` })
        .from(columnEdges)
        .where(sql`${columnEdges.source} in ('dbt_compiled', 'dbt_uncompiled')`)
        .limit(1),
      { pluck: true },
    ),
    // Whether any schema version is stored (else no dataset has a latest one to compare with).
    anyVersion: fast<number>(
      db,
      db
        .select({ one: sql<number>`1` })
        .from(datasetVersions)
        .limit(1),
      { pluck: true },
    ),
    rekeyEarlierResults: fast<{ id: number }>(
      db,
      db
        .update(assertions)
        .set({ key: raw('key'), datasetId: raw('datasetId') })
        .where(
          sql`${assertions.origin} = 'openlineage' and ${assertions.key} like 'openlineage:%'
          and ${assertions.name} = ${p('name')}
          and (${assertions.datasetId} = ${p('datasetId')}
            or (select count(*) from ${checks} where ${checks.name} = ${p('name')}) = 1)
          and not exists (select 1 from ${assertions} a2 where a2.key = ${p('key')}
            and a2.dataset_id = ${p('datasetId')} and a2.observed_at = ${assertions.observedAt})
          and (${p('domain')} is null
            or coalesce((select d.domain from ${datasets} d where d.id = ${assertions.datasetId}), ${p('domain')}) = ${p('domain')})`,
        ),
    ),
    insertAssertions: fastMany<never>(db, insertAssertionQuery(db)),
    upsertMetric: fast<{ id: number }>(
      db,
      db
        .insert(metrics)
        .values({
          datasetId: p('datasetId'),
          name: p('name'),
          value: p('value'),
          status: p('status'),
          detail: p('detail'),
          observedAt: p('observedAt'),
          runId: p('runId'),
        })
        .onConflictDoUpdate({
          target: [metrics.datasetId, metrics.name, metrics.observedAt],
          set: { value: excluded('value'), status: excluded('status'), detail: excluded('detail') },
        }),
    ),
    upsertProduct: fast<{ id: number }>(
      db,
      db
        .insert(products)
        .values({
          id: p('id'),
          name: p('name'),
          domain: p('domain'),
          owner: p('owner'),
          description: p('description'),
          origin: p('origin'),
          sla: raw('sla'),
          updatedAt: p('now'),
        })
        .onConflictDoUpdate({
          target: products.id,
          set: {
            name: excluded('name'),
            domain: excluded('domain'),
            owner: excluded('owner'),
            description: excluded('description'),
            origin: excluded('origin'),
            sla: excluded('sla'),
            updatedAt: excluded('updated_at'),
          },
        }),
    ),
    deleteProductOutputs: fast<{ id: number }>(
      db,
      db.delete(productOutputs).where(eq(productOutputs.productId, p('productId'))),
    ),
    insertProductOutput: fast<{ id: number }>(
      db,
      db
        .insert(productOutputs)
        .values({ productId: p('productId'), datasetId: p('datasetId') })
        .onConflictDoNothing(),
    ),
  }
}

export type Statements = ReturnType<typeof prepareAll>

/** What a multi-row upsert of datasets or jobs returns: each row's id by its name. */
export interface NodeRow {
  id: number
  namespace: string
  name: string
}

interface Compilable {
  toSQL(): { sql: string; params: unknown[] }
}

export interface FastStatement<T> {
  /** Returns the number of rows changed. */
  run(values: Record<string, unknown>): number
  get(values: Record<string, unknown>): T | undefined
  all(values: Record<string, unknown>): T[]
}

/** A runs row as SQLite returns it (column names, facets still JSON text). */
export interface StoredRunRow {
  run_id: string
  state: string
  started_at: string | null
  ended_at: string | null
  nominal_time: string | null
  error: string | null
  rows_affected: number | null
  parent_run_id: string | null
  facets: string | null
}

type Binder = (v: Record<string, unknown>) => unknown

/** How each parameter of a compiled drizzle query is read from a values object. */
function bindersOf(params: unknown[]): Binder[] {
  return params.map((param): Binder => {
    if (param instanceof Placeholder) return (v) => v[param.name] ?? null
    if (param instanceof Param && param.value instanceof Placeholder) {
      const name = param.value.name
      const encoder = param.encoder
      return (v) => {
        const x = v[name]
        return x === undefined || x === null ? null : encoder ? encoder.mapToDriverValue(x) : x
      }
    }
    const constant =
      param instanceof Param
        ? param.encoder
          ? param.encoder.mapToDriverValue(param.value)
          : param.value
        : param
    return () => constant
  })
}

/**
 * Compiles a drizzle query (its SQL and parameter order) straight onto a better-sqlite3
 * statement. Ingest runs these once per row: drizzle's per-execution placeholder filling and
 * row mapping cost as much as SQLite's work. Column encoders still apply, to non-null values
 * only (drizzle's own would turn null into false or the text 'null').
 */
function fast<T>(db: Db, query: Compilable, opts: { pluck?: boolean } = {}): FastStatement<T> {
  const { sql: text, params } = query.toSQL()
  const binders = bindersOf(params)
  const stmt = db.$client.prepare(text)
  if (opts.pluck) stmt.pluck()
  const bind = (v: Record<string, unknown>) => binders.map((b) => b(v))
  return {
    run: (v) => stmt.run(bind(v)).changes,
    get: (v) => stmt.get(bind(v)) as T | undefined,
    all: (v) => stmt.all(bind(v)) as T[],
  }
}

export interface ManyStatement<T> {
  /** Runs the statement for each values object, in order; returns what RETURNING gave, if any. */
  all(rows: readonly Record<string, unknown>[]): T[]
  /** Rows per execution: a caller that queues rows can write them a full execution at a time. */
  rows: number
}

/** Rows per execution of a multi-row statement (fewer where its parameters would pass SQLite's 32766). */
const MANY_ROWS = 128
const MAX_PARAMS = 32766

/**
 * A single-row `insert … values (…) …` run for many rows at once: the same SQL with its values
 * tuple repeated, so the rows go in with one call per MANY_ROWS instead of one per row (each
 * call binds, steps and resets a statement through N-API, which cost a collect of 10k models
 * about as much as SQLite's own work for the row). Each row binds as `fast` binds it, and rows
 * are inserted in order, so what is stored is what one statement per row stored (a later row
 * that conflicts with an earlier one of the same execution meets it as it would one stored
 * before). Statements are prepared for MANY_ROWS rows and for each power of two below it.
 */
function compileMany<T>(db: Db, query: Compilable, rows: number): ManyStatement<T> {
  const { sql: text, params } = query.toSQL()
  const at = text.indexOf(' values (')
  const close = at < 0 ? -1 : tupleEnd(text, at + 8)
  if (close < 0) throw new Error(`not a single-row insert: ${text}`)
  const head = text.slice(0, at + 8)
  const tuple = text.slice(at + 8, close)
  const tail = text.slice(close)
  const nHead = countParams(head)
  const nTuple = countParams(tuple)
  const binders = bindersOf(params)
  const headBinders = binders.slice(0, nHead)
  const rowBinders = binders.slice(nHead, nHead + nTuple)
  const tailBinders = binders.slice(nHead + nTuple)
  let max = rows
  while (max > 1 && max * nTuple + nHead + tailBinders.length > MAX_PARAMS) max >>= 1
  const prepared = new Map<number, ReturnType<Db['$client']['prepare']>>()
  const stmtOf = (n: number) => {
    let stmt = prepared.get(n)
    if (!stmt) {
      stmt = db.$client.prepare(`${head}${Array<string>(n).fill(tuple).join(', ')}${tail}`)
      prepared.set(n, stmt)
    }
    return stmt
  }
  return {
    rows: max,
    all: (rows) => {
      const out: T[] = []
      let i = 0
      while (i < rows.length) {
        const left = rows.length - i
        let n = max
        while (n > left) n >>= 1
        const values: unknown[] = []
        const first = rows[i]!
        for (const b of headBinders) values.push(b(first))
        for (let r = i; r < i + n; r++) {
          const row = rows[r]!
          for (const b of rowBinders) values.push(b(row))
        }
        for (const b of tailBinders) values.push(b(first))
        const stmt = stmtOf(n)
        if (stmt.reader) for (const row of stmt.all(values)) out.push(row as T)
        else stmt.run(values)
        i += n
      }
      return out
    },
  }
}

/** Edges per execution of edgeList: bounds the JSON text of one execution (~30 bytes an edge). */
const EDGES_PER_JSON = 16384

export interface EdgeList {
  /** Upserts [job id, dataset id, direction] triples in order, each stamped `now`. */
  run(edges: readonly (readonly [number, number, string])[], now: string): void
}

/**
 * The edge upsert (upsertEdgeQuery) for many edges per execution, its rows read by SQLite from
 * one JSON array (`json_each`), in order, instead of 4 bound parameters per edge: a 10k-model
 * collect's 35k edges cost ~30% less CPU this way (binding, not SQLite's insert, was most of it).
 * With one row per execution (setRowsPerExecution(db, 1), the tests' comparison) each edge is an
 * execution of its own.
 */
function edgeList(db: Db, query: Compilable, rows: number): EdgeList {
  const { sql: text, params } = query.toSQL()
  const placeholder = (x: unknown) => (x instanceof Param ? x.value : x)
  const names = params
    .map((x) => placeholder(x))
    .map((x) => (x instanceof Placeholder ? x.name : undefined))
    .join()
  if (names !== 'jobId,datasetId,direction,now') throw new Error(`not the edge upsert: ${text}`)
  const at = text.indexOf(' values (')
  const close = at < 0 ? -1 : tupleEnd(text, at + 8)
  if (close < 0) throw new Error(`not a single-row insert: ${text}`)
  // the conflict clause needs a WHERE after a SELECT (SQLite's parsing ambiguity)
  const stmt = db.$client.prepare(
    `${text.slice(0, at)} select value ->> 0, value ->> 1, value ->> 2, ? from json_each(?) where true${text.slice(close)}`,
  )
  const per = rows === 1 ? 1 : EDGES_PER_JSON
  return {
    run: (edges, now) => {
      for (let i = 0; i < edges.length; i += per)
        stmt.run(now, JSON.stringify(edges.slice(i, i + per)))
    },
  }
}

/** The index after the parenthesis closing the one at text[open]. */
function tupleEnd(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (c === "'" || c === '"') {
      const q = text.indexOf(c, i + 1)
      if (q < 0) return -1
      i = q
    } else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i + 1
  }
  return -1
}

/** The `?` parameters of SQL text, outside quotes. */
function countParams(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'" || c === '"') i = text.indexOf(c, i + 1)
    else if (c === '?') n++
    if (i < 0) break
  }
  return n
}

const cache = new WeakMap<Db, Statements>()
const rowsPerExecution = new WeakMap<Db, number>()

/** The ingest statements of one connection, prepared once. */
export function statementsOf(db: Db): Statements {
  let s = cache.get(db)
  if (!s) {
    s = prepareAll(db, rowsPerExecution.get(db) ?? MANY_ROWS)
    cache.set(db, s)
  }
  return s
}

/**
 * Rows per execution of this connection's multi-row statements (a power of two; 1: one
 * statement per row), before its first write. For tests that compare the two ways.
 */
export function setRowsPerExecution(db: Db, rows: number): void {
  if (cache.has(db)) throw new Error('setRowsPerExecution: the statements are prepared already')
  rowsPerExecution.set(db, rows)
}

export const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v)
export const encodeJson = (v: unknown): string | null =>
  v === undefined || v === null ? null : JSON.stringify(v)
export const encodeBool = (v: boolean | undefined): number | null =>
  v === undefined ? null : v ? 1 : 0

export interface ReadStatement<T> {
  all(...params: unknown[]): T[]
}

const reads = new WeakMap<Db, Map<string, ReadStatement<unknown>>>()

/**
 * A read on the raw connection, compiled once per connection and text. For the loaders' hot
 * paths, which ask the same few questions many times per evaluation (a lineage hop, a node's
 * runs): drizzle's query building and SQLite's compiling cost more there than the reads. Sets of
 * ids go in as one JSON parameter (see inIds), so the text does not change with their number;
 * rows come back with the names the text gives its columns.
 */
export function readStatement<T>(db: Db, text: string): ReadStatement<T> {
  let m = reads.get(db)
  if (!m) {
    m = new Map()
    reads.set(db, m)
  }
  let s = m.get(text)
  if (!s) {
    const stmt = db.$client.prepare(text)
    s = { all: (...params) => stmt.all(...params) }
    m.set(text, s)
  }
  return s as ReadStatement<T>
}
