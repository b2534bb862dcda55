import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Batch } from '../../collectors/batch.ts'
import { parseDbtArtifacts } from '../../collectors/dbt/index.ts'
import { HAS_SHARED, SHARED_DBT } from '../collectors/dbt/helpers.ts'
import { REPO, VENV_BIN } from './dbt-harness.ts'

/*
 * #19's peer comparison: meshwatch's column lineage (collectors/dbt/column-lineage, polyglot-sql)
 * against sqlglot's (the Python original, pinned in requirements.txt, run by sqlglot-lineage.py)
 * for every model with compiled SQL of the demo mesh and of the public jaffle_shop manifests in
 * ../shared, and against the columnLineage facets the real `dbt-ol build` sent for the demo
 * (fixtures/openlineage/dbt-ol). Compared: the DIRECT edges (output column <- the upstream column
 * it is computed from); sqlglot reports no filter/join/group-by uses, so INDIRECT edges are ours
 * alone. Agreement = edges in both / edges in either, per project, printed. On the demo every
 * disagreement with sqlglot must be one of KNOWN below (why, and who is right), and the
 * agreement must be >= 95%. The public manifests of other warehouses (fixtures/dbt/dialects) are
 * compared too, each in its adapter's dialect, and reported per project.
 */
const NS = 'duckdb://mesh.duckdb'
const SCRIPT = join(REPO, 'test/peers/sqlglot-lineage.py')
const DEMO = ['sales', 'finance', 'marketing', 'product'] as const

type SqlglotModel = {
  unique_id: string
  relation: string
  columns: string[]
  edges: [string, string, string][]
  error: string | null
}
type Sqlglot = { adapter: string; dialect: string | null; models: SqlglotModel[] }

const runSqlglot = (manifest: string, catalog?: string): Sqlglot =>
  JSON.parse(
    execFileSync(join(VENV_BIN, 'python'), [SCRIPT, manifest, ...(catalog ? [catalog] : [])], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  ) as Sqlglot

const key = (dataset: string, column: string, from: string, fromColumn: string) =>
  `${dataset}.${column} <- ${from}.${fromColumn}`.toLowerCase()

const ours = (b: Batch, models: Set<string>) =>
  new Set(
    b.columnEdges
      .filter((e) => e.transformation?.startsWith('DIRECT') && models.has(e.dataset.name))
      .map((e) => key(e.dataset.name, e.column, e.from.name, e.fromColumn)),
  )

const theirs = (s: Sqlglot) =>
  new Set(s.models.flatMap((m) => m.edges.map(([c, f, fc]) => key(m.relation, c, f, fc))))

type Comparison = { both: number; either: number; onlyOurs: string[]; onlyTheirs: string[] }
function compare(a: Set<string>, b: Set<string>): Comparison {
  const onlyOurs = [...a].filter((k) => !b.has(k)).sort()
  const onlyTheirs = [...b].filter((k) => !a.has(k)).sort()
  const either = new Set([...a, ...b]).size
  return { both: either - onlyOurs.length - onlyTheirs.length, either, onlyOurs, onlyTheirs }
}
const pct = (c: Comparison) => (c.either ? (100 * c.both) / c.either : 100)
const report = (project: string, peer: string, c: Comparison) =>
  console.log(
    `column lineage vs ${peer}: ${project}: ${c.both}/${c.either} edges agree (${pct(c).toFixed(1)}%)` +
      `, only meshwatch ${c.onlyOurs.length}, only ${peer} ${c.onlyTheirs.length}`,
  )

const target = (p: string) => join(REPO, 'fixtures/dbt/good', p, 'target')
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'))
const parse = (manifest: string, catalog: string | undefined, namespace: string) =>
  parseDbtArtifacts(
    { manifest: readJson(manifest), ...(catalog ? { catalog: readJson(catalog) } : {}) },
    { namespace },
  )

/** The dbt-ol facets' edges (START and COMPLETE carry the same; a Set keeps one). */
function dbtOl(project: string): Set<string> {
  const out = new Set<string>()
  const file = join(REPO, 'fixtures/openlineage/dbt-ol', `${project}.ndjson`)
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const event = JSON.parse(line) as {
      outputs?: { name: string; facets?: { columnLineage?: { fields: Fields } } }[]
    }
    for (const o of event.outputs ?? []) {
      for (const [column, f] of Object.entries(o.facets?.columnLineage?.fields ?? {})) {
        for (const i of f.inputFields) {
          const direct = !i.transformations?.length || i.transformations[0]?.type === 'DIRECT'
          if (direct) out.add(key(o.name, column, i.name, i.field))
        }
      }
    }
  }
  return out
}
type Fields = Record<
  string,
  { inputFields: { name: string; field: string; transformations?: { type: string }[] }[] }
>

/**
 * The demo's disagreements with sqlglot, each explained: `edge` as key() writes it, `side` the
 * one that has it. Empty since the comment-annotated select items were read (expand-stars.ts);
 * a new disagreement fails the test until it is fixed or explained here.
 */
const KNOWN: { edge: string; side: 'meshwatch' | 'sqlglot'; why: string }[] = []

/** The models sqlglot parsed: a model it could not is compared by nobody (and printed). */
function sqlglotOf(manifest: string, catalog?: string) {
  const s = runSqlglot(manifest, catalog)
  const failed = s.models.filter((m) => m.error)
  for (const m of failed) console.log(`sqlglot could not trace ${m.unique_id}: ${m.error}`)
  const models = new Set(s.models.filter((m) => !m.error).map((m) => m.relation))
  return { s: { ...s, models: s.models.filter((m) => !m.error) }, models, failed }
}

describe('column lineage: meshwatch vs sqlglot and dbt-ol on the demo mesh', () => {
  it.each(DEMO)(
    '%s: at least 95 percent of the edges agree with sqlglot, every disagreement known',
    (p) => {
      const manifest = join(target(p), 'manifest.json')
      const catalog = join(target(p), 'catalog.json')
      const { s, models, failed } = sqlglotOf(manifest, catalog)
      expect(failed).toEqual([])
      const b = parse(manifest, catalog, NS)
      const c = compare(ours(b, models), theirs(s))
      report(p, 'sqlglot', c)
      const unexplained = [
        ...c.onlyOurs.map((edge) => ({ edge, side: 'meshwatch' })),
        ...c.onlyTheirs.map((edge) => ({ edge, side: 'sqlglot' })),
      ].filter((d) => !KNOWN.some((k) => k.edge === d.edge && k.side === d.side))
      expect(unexplained).toEqual([])
      expect(pct(c)).toBeGreaterThanOrEqual(95)
    },
  )

  it.each(DEMO)('%s: every dbt-ol edge from a table is ours too', (p) => {
    const manifest = join(target(p), 'manifest.json')
    const b = parse(manifest, join(target(p), 'catalog.json'), NS)
    const models = new Set(b.columnEdges.map((e) => e.dataset.name))
    const ol = dbtOl(p)
    const c = compare(ours(b, models), ol)
    report(p, 'dbt-ol', c)
    // dbt-ol (openlineage-sql 1.54) names a CTE as the input of a column read from it
    // (`orders.amount_cents` for the CTE orders of sales.orders): not a dataset, so not comparable
    const cteNamed = c.onlyTheirs.filter((k) => !/<- \S+\.\S+\.\S+\.\S+$/.test(k))
    console.log(`dbt-ol: ${p}: ${cteNamed.length} of its edges name a CTE, not a table`)
    expect(c.onlyTheirs.filter((k) => !cteNamed.includes(k))).toEqual([])
    expect(c.both).toBeGreaterThan(0)
  })
})
const JAFFLE = 'jaffle_shop/manifest'
const REAL: { name: string; manifest: string; catalog?: string; namespace: string }[] = [
  {
    name: 'jaffle_shop dbt 1.12 duckdb',
    manifest: `${JAFFLE}/v12/jaffle_shop/manifest_1.12.json`,
    catalog: 'jaffle_shop/catalog/v1/jaffle_shop/catalog_1.12.json',
    namespace: NS,
  },
  {
    name: 'jaffle_shop dbt 1.10 duckdb',
    manifest: `${JAFFLE}/v12/jaffle_shop/manifest_1.10.json`,
    namespace: NS,
  },
  {
    name: 'jaffle_shop dbt 1.9 bigquery',
    manifest: `${JAFFLE}/v12/jaffle_shop/manifest_1.9.json`,
    catalog: 'jaffle_shop/catalog/v1/jaffle_shop/catalog.json',
    namespace: 'bigquery',
  },
  {
    name: 'jaffle_shop dbt 1.5rc1 bigquery',
    manifest: `${JAFFLE}/v9/jaffle_shop_at_1.5rc1/manifest.json`,
    namespace: 'bigquery',
  },
]

// Reported, not held to the demo's bar: these manifests come without the catalog of some tables
// (elementary's), where each tool guesses differently.
// ../shared/real is read when present (never copied into the repo); a checkout without it has
// no such cases, rather than skipped ones (a skipped peer test counts as failed in .ci/run).
if (!HAS_SHARED) console.log(`no ${SHARED_DBT}: the public manifests are not compared`)
// describe.each over no cases registers no suite (an empty suite would fail to run).
describe.each(HAS_SHARED ? [SHARED_DBT] : [])(
  'column lineage: meshwatch vs sqlglot on the public manifests with compiled SQL in %s',
  () => {
    it.each(REAL)('$name', ({ name, manifest, catalog, namespace }) => {
      const m = join(SHARED_DBT, manifest)
      const cat = catalog ? join(SHARED_DBT, catalog) : undefined
      expect(existsSync(m)).toBe(true)
      const { s, models } = sqlglotOf(m, cat)
      const b = parse(m, cat, namespace)
      const c = compare(ours(b, models), theirs(s))
      report(name, 'sqlglot', c)
      for (const k of c.onlyOurs) console.log(`  only meshwatch: ${k}`)
      for (const k of c.onlyTheirs) console.log(`  only sqlglot: ${k}`)
      expect(models.size).toBeGreaterThan(0)
      expect(c.both).toBeGreaterThan(0)
    })
  },
)

// One public compiled manifest per warehouse (fixtures/dbt/dialects/README.md cites each): in the
// repo, so compared on every checkout. Reported, not held to the demo's bar: sqlglot 30 without a
// catalog declines most models (unknown columns, missing source schemas), and both sides trace
// `select *` of a table neither manifest nor catalog knows differently (see that README).
const DIALECTS_DIR = join(REPO, 'fixtures/dbt/dialects')
const DIALECT_PROJECTS = readdirSync(DIALECTS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const dir = join(DIALECTS_DIR, d.name, 'target')
    const manifest = join(dir, 'manifest.json')
    const catalog = existsSync(join(dir, 'catalog.json')) ? join(dir, 'catalog.json') : undefined
    const m = readJson(manifest) as {
      metadata: { adapter_type: string }
      nodes: Record<string, { compiled_code?: string | null }>
    }
    const compiled = Object.values(m.nodes).some((n) => n.compiled_code)
    return { project: d.name, adapter: m.metadata.adapter_type, manifest, catalog, compiled }
  })

/** Per model or snapshot relation (database.schema.alias, lower case), the columns its yml declares. */
function declaredColumns(manifest: string): Map<string, Set<string>> {
  const m = readJson(manifest) as {
    nodes: Record<
      string,
      {
        resource_type?: string
        database?: string | null
        schema?: string
        alias?: string | null
        name: string
        columns?: Record<string, unknown>
      }
    >
  }
  const out = new Map<string, Set<string>>()
  for (const n of Object.values(m.nodes)) {
    if (n.resource_type !== 'model' && n.resource_type !== 'snapshot') continue
    const relation = [n.database, n.schema, n.alias ?? n.name]
      .filter(Boolean)
      .join('.')
      .toLowerCase()
    out.set(relation, new Set(Object.keys(n.columns ?? {}).map((c) => c.toLowerCase())))
  }
  return out
}

describe('column lineage: meshwatch vs sqlglot on public manifests of other warehouses', () => {
  // a `dbt parse` manifest has no compiled SQL for sqlglot: meshwatch renders its raw SQL alone
  const uncompiled = DIALECT_PROJECTS.filter((p) => !p.compiled).map((p) => p.project)
  it('has a compiled manifest of each warehouse dialect the fixtures record', () => {
    console.log(`no compiled SQL for sqlglot, not compared: ${uncompiled.join(', ') || 'none'}`)
    expect(
      DIALECT_PROJECTS.filter((p) => p.compiled)
        .map((p) => p.adapter)
        .sort(),
    ).toEqual(['bigquery', 'databricks', 'postgres', 'redshift', 'snowflake'])
  })

  it.each(DIALECT_PROJECTS.filter((p) => p.compiled))(
    '$project ($adapter): parsed in its dialect by both, agreement reported',
    ({ project, adapter, manifest, catalog }) => {
      const { s, models, failed } = sqlglotOf(manifest, catalog)
      // sqlglot was given the adapter's own dialect (its DIALECTS map), as meshwatch (dialect.ts)
      expect(s.dialect).toBe(adapter)
      const b = parse(manifest, catalog, 'warehouse://fixture')
      expect(b.warnings.filter((w) => w.includes('could not be parsed'))).toEqual([])
      const c = compare(ours(b, models), theirs(s))
      report(
        `${project} (${adapter}, ${models.size} of ${models.size + failed.length} models traced by sqlglot)`,
        'sqlglot',
        c,
      )
      // each disagreement is one of two known cases, else it is printed and fails the test
      const untraced = new Set(failed.map((m) => m.relation))
      const declared = declaredColumns(manifest)
      const why = (edge: string, side: 'meshwatch' | 'sqlglot'): string | undefined => {
        const from = edge.split(' <- ')[1] ?? ''
        const fromRelation = from.slice(0, from.lastIndexOf('.'))
        const known = declared.get(fromRelation)
        if (side === 'sqlglot' && edge.includes('.* <- '))
          return 'select * of a table nobody has columns for: sqlglot gives a column named *, meshwatch no edge (and a partial-lineage warning)'
        if (untraced.has(from.slice(0, from.lastIndexOf('.'))))
          return 'reads a model sqlglot could not trace: without its columns sqlglot maps select * over it to every column of it (or to none); meshwatch to the same-named column'
        if (
          side === 'meshwatch' &&
          !catalog &&
          known?.size &&
          !known.has(from.slice(fromRelation.length + 1))
        )
          return "reads a model whose yml declares only some of its columns: meshwatch takes the columns the model's SQL computes, sqlglot (given the declared columns as its schema) only those"
        return undefined
      }
      const explained = new Map<string, number>()
      const unexplained: string[] = []
      for (const [side, list] of [
        ['meshwatch', c.onlyOurs],
        ['sqlglot', c.onlyTheirs],
      ] as const) {
        for (const edge of list) {
          const w = why(edge, side)
          if (w) explained.set(w, (explained.get(w) ?? 0) + 1)
          else unexplained.push(`only ${side}: ${edge}`)
        }
      }
      for (const [w, n] of explained) console.log(`  ${n} known: ${w}`)
      for (const u of unexplained) console.log(`  unexplained ${u}`)
      expect(unexplained).toEqual([])
    },
  )
})
