import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { createToken } from '../../db/queries/tokens.ts'
import { createApp } from '../../server/app.ts'
import { FIXTURES } from '../../server/demo.ts'
import { sqliteStore } from '../../db/store.ts'

// `collect dbt --server URL` reuses the server's stored column lineage the way `--db` reuses the
// local store's (#19): the built CLI as a child process, a real server on 127.0.0.1.
const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../dist/cli.js')
const SALES = join(FIXTURES, 'dbt', 'good', 'sales', 'target')
const PROJECT = join(FIXTURES, 'dbt', 'projects', 'sales')

async function cli(args: string[], token: string) {
  // As recorded: the profile's env_var('MESHWATCH_DUCKDB', 'mesh.duckdb') default.
  const { MESHWATCH_DUCKDB: _, MESHWATCH_TOKEN: __, ...env } = process.env
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...env, MESHWATCH_TOKEN: token },
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

type Inputs = { inputs: { namespace: string; name: string; hash: string; columns: string[] }[] }

describe('meshwatch collect dbt --server', () => {
  const root = mkdtempSync(join(tmpdir(), 'mw-dbt-server-'))
  const file = join(root, 'server.db')
  const db = openDb(file)
  const now = new Date().toISOString()
  const sales = createToken(db, { name: 'sales ci', scope: 'ingest', domain: 'sales', now }).token
  const finance = createToken(db, { name: 'fin ci', scope: 'ingest', domain: 'finance', now }).token
  let server: ReturnType<typeof serve>
  let url = ''
  const collect = (dir: string, token = sales) =>
    cli(['collect', 'dbt', dir, '--project-dir', PROJECT, '--server', url], token)
  const inputsFor = async (token: string) => {
    const res = await fetch(`${url}/api/datasets/column-lineage-inputs`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as Inputs).inputs
  }
  const edges = () => {
    const d = new Database(file, { readonly: true })
    const rows = d.prepare('select * from column_edges order by 1, 2, 3, 4, 5').all()
    d.close()
    return rows
  }
  const salesModels = () => {
    const d = new Database(file, { readonly: true })
    const rows = d
      .prepare(
        `select d.name from column_lineage_inputs i join datasets d on d.id = i.dataset_id
         where d.domain = 'sales' order by 1`,
      )
      .pluck()
      .all() as string[]
    d.close()
    return rows
  }

  beforeAll(async () => {
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve(
        { fetch: createApp({ store: sqliteStore(db) }).fetch, port: 0, hostname: '127.0.0.1' },
        () => resolve(s),
      )
    })
    const address = server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    const first = await collect(SALES)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).not.toContain('not parsed again')
  }, 60_000)

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()))
    closeDb(db)
  })

  it("gives a domain's token its own datasets' column lineage inputs, and none of another domain's", async () => {
    const stored = salesModels()
    expect(stored.length).toBeGreaterThan(3)
    expect((await inputsFor(sales)).map((i) => i.name)).toEqual(stored)
    const seen = (await inputsFor(finance)).map((i) => i.name)
    expect(seen.filter((n) => stored.includes(n))).toEqual([])
  })

  it('does not parse again the models of a new dbt invocation whose SQL is unchanged', async () => {
    const dir = join(root, 'rerun', 'target')
    mkdirSync(dir, { recursive: true })
    for (const f of ['run_results.json', 'catalog.json', 'sources.json'])
      if (existsSync(join(SALES, f))) copyFileSync(join(SALES, f), join(dir, f))
    // another invocation of the same project: new invocation id and time, the same SQL
    const m = JSON.parse(readFileSync(join(SALES, 'manifest.json'), 'utf8')) as {
      metadata: Record<string, string>
    }
    m.metadata['invocation_id'] = '00000000-0000-4000-8000-000000000003'
    m.metadata['generated_at'] = '2026-11-26T20:32:39.250815Z'
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m))
    const before = edges()
    expect(before.length).toBeGreaterThan(0)
    const r = await collect(dir)
    expect(r.code, r.stderr).toBe(0)
    // the server counts the claims whose hash it has: every sales model was claimed unchanged
    expect(r.stdout).toContain(
      `column lineage of ${salesModels().length} models unchanged (not parsed again)`,
    )
    expect(r.stderr).not.toContain('every model is parsed')
    expect(edges()).toEqual(before)
  })

  it('parses everything, with a warning and no failure, when the server cannot say what it has', async () => {
    const r = await cli(
      ['collect', 'dbt', SALES, '--project-dir', PROJECT, '--server', url],
      'mw_not-a-token',
    )
    // the push itself is refused (401); the read before it only warned
    expect(r.stderr).toMatch(
      /warning: column lineage: \/api\/datasets\/column-lineage-inputs answered 401 .*; every model is parsed/,
    )
    expect(r.stderr).toMatch(/answered 401: the token is not valid/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.code).not.toBe(0)
  })
})
