import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// STYLE.md §1 ("who may import whom"), "only the CLI reads process.env" and "SQLite stays inside
// db/" (no `$client` or `pragma` in server/) are lint rules in .oxlintrc.json. This proves each rule can fail: it writes files that break it (lines ending in
// `// bad`) into a temporary tree laid out like the repo, lints that tree with the repo's config,
// and expects an error on exactly the `// bad` lines. It also lints the real source tree.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const OXLINT = join(ROOT, 'node_modules/.bin/oxlint')
const LAYERING_RULES = new Set([
  'eslint(no-restricted-imports)',
  'eslint(no-restricted-properties)',
  'typescript(no-import-type-side-effects)',
])

interface Diagnostic {
  code: string
  filename: string
  message: string
  help?: string
  labels: { span: { line: number } }[]
}

function lint(cwd: string, config: string, paths: string[]): Diagnostic[] {
  const r = spawnSync(OXLINT, ['-c', config, '--format', 'json', ...paths], {
    cwd,
    encoding: 'utf8',
  })
  if (r.error) throw r.error
  const out: { diagnostics: Diagnostic[] } = JSON.parse(r.stdout)
  return out.diagnostics.filter((d) => LAYERING_RULES.has(d.code))
}

const lineOf = (d: Diagnostic) => `${d.filename}:${d.labels[0]?.span.line ?? 0}`

const builtins = builtinModules.map((m, i) => `import * as b${i} from '${m}' // bad`)

/** Each probe file, at its path in the repo layout. */
const PROBES: Record<string, string[]> = {
  'collectors/probe.ts': [
    `import { refKey } from './batch.ts'`,
    `import { openDb } from '../db/client.ts' // bad`,
  ],
  'collectors/dbt/probe.ts': [
    `import { refKey } from '../batch.ts'`,
    `import { emptyBatch } from '../../collectors/batch.ts'`,
    `import { z } from 'zod'`,
    `import { openDb } from '../../db/client.ts' // bad`,
    `import type { AppType } from '../../server/app.ts' // bad`,
    `export { toElements } from '../../web/graph.ts' // bad`,
    `export const m = () => import('../../server/deps.ts') // bad`,
  ],
  'db/probe.ts': [`import { createApp } from '../server/app.ts' // bad`],
  'db/queries/probe.ts': [
    `import { datasets } from '../schema.ts'`,
    `import type { Batch } from '../../collectors/batch.ts'`,
    `export type { Assertion } from '../../collectors/batch.ts'`,
    `import { refKey } from '../../collectors/batch.ts' // bad`,
    `import { type Batch as B } from '../../collectors/batch.ts' // bad`,
    `import * as batch from '../../collectors/batch.ts' // bad`,
    `import { parseManifest } from '../../collectors/dbt/parse.ts' // bad`,
    `import type { DbtNode } from '../../collectors/dbt/schema.ts' // bad`,
    `import type { Deps } from '../../server/deps.ts' // bad`,
    `import { toElements } from '../../web/graph.ts' // bad`,
  ],
  // Known exceptions (mirror .oxlintrc.json: removing one there makes its file fail here until
  // its probe moves below): these files may take the listed helpers, and nothing else, as values.
  'db/queries/resolve-nodes.ts': [
    `import { refKey, type Batch } from '../../collectors/batch.ts'`,
    `import { emptyBatch } from '../../collectors/batch.ts' // bad`,
  ],
  // Not (or no longer) an exception: owners.ts went, so a value import there fails again.
  'db/queries/owners.ts': [`import { refKey } from '../../collectors/batch.ts' // bad`],
  'db/queries/fold-batches.ts': [
    `import { emptyBatch, refKey } from '../../collectors/batch.ts'`,
    `import { BatchSchema } from '../../collectors/batch.ts' // bad`,
    `import { createApp } from '../../server/app.ts' // bad`,
  ],
  'db/queries/raw-events.ts': [
    `import { emptyBatch, UNPLACED_TEST } from '../../collectors/batch.ts'`,
    `import { refKey } from '../../collectors/batch.ts' // bad`,
  ],
  'server/probe.ts': [
    `import type { Db } from '../db/client.ts'`,
    `import { openDb } from '../db/client.ts' // bad`,
    `import { parseManifest } from '../collectors/dbt/parse.ts'`,
    `import { Hono } from 'hono'`,
    `import { toElements } from '../web/graph.ts' // bad`,
  ],
  // server/ awaits the Store (#16): types and the engine-neutral helpers from db/queries/ only.
  'server/routes/probe.ts': [
    `import { parseNodeId, type NodeId } from '../../db/queries/lineage.ts'`,
    `import { ForeignWriteError } from '../../db/queries/authorize.ts'`,
    `import { listEdges } from '../../db/queries/lineage.ts' // bad`,
    `import type { Graph } from '../../web/graph.ts' // bad`,
  ],
  // A ratchet exception takes only the names listed for it.
  'server/gate/store.ts': [
    `import { listProducts } from '../../db/queries/catalog.ts'`,
    `import { isEmpty } from '../../db/queries/admin.ts' // bad`,
  ],
  'server/quality/probe.ts': [
    `import { z } from 'zod'`,
    `import { DIMENSIONS } from '../../common/vocab.ts'`,
    `import type { RootCause } from '../../db/json-shapes.ts'`,
    `import { json } from '../../db/json-shapes.ts' // bad`,
    `import { refKey } from '../../collectors/batch.ts'`,
    `import { formatDuration } from '../format.ts'`,
    `import type { ProductFacts } from '../../db/queries/quality-facts.ts'`,
    `import { loadFacts } from '../../db/queries/quality-facts.ts' // bad`,
    `import { datasets } from '../../db/schema.ts' // bad`,
    `import { Hono } from 'hono' // bad`,
    `import { HTTPException } from 'hono/http-exception' // bad`,
    `import { zValidator } from '@hono/zod-validator' // bad`,
    `import { toElements } from '../../web/graph.ts' // bad`,
  ],
  'web/probe.ts': [
    `import type { AppType } from '../server/app.ts'`,
    `import { hc } from 'hono/client'`,
    `import cytoscape from 'cytoscape'`,
    `import { toElements } from './graph.ts'`,
    `import type { Other } from '../server/app.ts' // bad`,
    `import { createApp } from '../server/app.ts' // bad`,
    `import type { Deps } from '../server/deps.ts' // bad`,
    `import type { Batch } from '../collectors/batch.ts' // bad`,
    `import { datasets } from '../db/schema.ts' // bad`,
    `import { readFileSync } from 'node:fs' // bad`,
    `import { join } from 'path' // bad`,
  ],
  'web/builtins.ts': builtins,
  'web/common-probe.ts': [`import { STATUSES } from '../common/vocab.ts'`],
  'db/common-probe.ts': [`import { STATUSES } from '../common/vocab.ts'`],
  'collectors/common-probe.ts': [`import { STATUSES } from '../common/vocab.ts'`],
  'common/probe.ts': [
    `import { STATUSES } from './vocab.ts'`,
    `import type { Status } from './vocab.ts'`,
    `import { z } from 'zod'`,
    `import type { AlertFacts } from '../db/json-shapes.ts' // bad`,
    `import { refKey } from '../collectors/batch.ts' // bad`,
    `import { formatPath } from '../server/errors.ts' // bad`,
    `import type { AppType } from '../server/app.ts' // bad`,
    `import { toElements } from '../web/graph.ts' // bad`,
    `import { readFileSync } from 'node:fs' // bad`,
    `import { join } from 'path' // bad`,
    `export const home = process.env.HOME // bad`,
  ],
  'web/build.mjs': [
    `import { build } from 'esbuild'`,
    `import { readFileSync } from 'node:fs'`,
    `import { createApp } from '../server/app.ts' // bad`,
  ],
  // SQLite stays inside db/ (#15): server/, its CLI files included, never touches the connection.
  'server/store-probe.ts': [
    `export const n = (db) => db.select().from(t).all()`,
    `export const raw = (db) => db.$client.prepare('select 1') // bad`,
    `export const fk = (client) => client.pragma('foreign_keys = OFF') // bad`,
  ],
  'server/commands/store-probe.ts': [
    `export const raw = (db) => db.$client.close() // bad`,
    `export const wal = (client) => client.pragma('journal_mode') // bad`,
  ],
  'db/store-probe.ts': [
    `export const raw = (db) => db.$client.prepare('select 1')`,
    `export const fk = (db) => db.$client.pragma('foreign_keys = OFF')`,
  ],
  'server/main.ts': [`export const port = process.env.PORT`],
  'server/cli.ts': [`export const { env } = process`],
  'server/commands/probe.ts': [`export const home = process.env['HOME']`],
  'server/app.ts': [`export const port = process.env.PORT // bad`],
  'server/quality/env.ts': [`export const { env } = process // bad`],
  'db/client.ts': [`export const file = process['env'].DB // bad`],
  'collectors/airflow/env.ts': [`export const url = process.env.AIRFLOW_URL // bad`],
  'web/env.ts': [`export const mode = process.env.NODE_ENV // bad`],
}

const tree = mkdtempSync(join(tmpdir(), 'meshwatch-lint-'))
beforeAll(() => {
  copyFileSync(join(ROOT, '.oxlintrc.json'), join(tree, '.oxlintrc.json'))
  for (const [path, lines] of Object.entries(PROBES)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true })
    writeFileSync(join(tree, path), lines.join('\n') + '\n')
  }
})
afterAll(() => rmSync(tree, { recursive: true, force: true }))

describe('layering lint rules (STYLE.md §1)', () => {
  it('fails on exactly the lines that break a rule, in every layer', () => {
    const expected = Object.entries(PROBES)
      .flatMap(([path, lines]) =>
        lines.flatMap((l, i) => (l.endsWith('// bad') ? [`${path}:${i + 1}`] : [])),
      )
      .sort()
    const found = lint(tree, '.oxlintrc.json', Object.keys(PROBES))
    expect([...new Set(found.map(lineOf))].sort()).toEqual(expected)
  })

  it('names STYLE.md or the CLI in each message, so a failure says which rule', () => {
    const found = lint(tree, '.oxlintrc.json', ['db/queries/probe.ts', 'server/app.ts'])
    expect(found.length).toBeGreaterThan(0)
    for (const d of found)
      expect(d.help ?? d.message).toMatch(/STYLE\.md §1|only the CLI|type qualifier/)
  })

  it('the source tree breaks none of them', () => {
    const found = lint(ROOT, '.oxlintrc.json', ['server', 'db', 'collectors', 'web', 'common'])
    expect(found.map((d) => `${lineOf(d)}: ${d.message} ${d.help ?? ''}`)).toEqual([])
  })
})
