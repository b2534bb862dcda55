import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { ROOT, runCli, sleep, startServerProcess } from './child.ts'

// One server under many concurrent writes and reads, while separate `meshwatch collect dbt`
// processes write the same SQLite file. Nobody may see a 500 or "database is locked": a busy
// store is a 503 with Retry-After, and every writer eventually succeeds.

const work = mkdtempSync(join(tmpdir(), 'mw-conc-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const WRITERS = 6
const BATCHES_PER_WRITER = 15
const READERS = 4
const PROJECTS = ['sales', 'finance', 'marketing', 'product']

function bigBatch(writer: number, i: number) {
  const datasets = Array.from({ length: 40 }, (_, k) => ({
    namespace: 'conc://test',
    name: `w${writer}.b${i}.t${k}`,
    domain: `d${writer}`,
    columns: Array.from({ length: 10 }, (_, c) => ({ name: `c${c}`, type: 'int' })),
  }))
  const job = { namespace: 'conc', name: `w${writer}.job${i}` }
  return {
    kind: 'airflow',
    scope: `conc-w${writer}-b${i}`,
    datasets,
    jobs: [{ ...job, type: 'airflow_task', domain: `d${writer}` }],
    runs: [
      {
        runId: `conc-w${writer}-b${i}`,
        job,
        state: 'COMPLETE',
        startedAt: new Date().toISOString(),
      },
    ],
    edges: datasets.map((d) => ({
      job,
      dataset: { namespace: d.namespace, name: d.name },
      direction: 'output',
    })),
  }
}

describe('concurrency', () => {
  it('serves concurrent ingest and reads while another process writes the same DB: no 500, no lock errors', async () => {
    const dbFile = join(work, 'conc.db')
    const server = await startServerProcess(dbFile)
    const statuses = new Map<number, number>()
    const problems: string[] = []
    let writing = true

    const request = async (path: string, init?: RequestInit): Promise<Response> => {
      for (;;) {
        const res = await fetch(`${server.url}${path}`, init)
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        const text = await res.clone().text()
        if (/database is locked|SQLITE_BUSY/i.test(text)) problems.push(`${path}: ${text}`)
        if (res.status >= 500 && res.status !== 503) problems.push(`${res.status} ${path}: ${text}`)
        if (res.status !== 503) return res
        if (res.headers.get('retry-after') === null)
          problems.push(`503 without Retry-After on ${path}`)
        await sleep(50)
      }
    }

    const writer = async (w: number) => {
      for (let i = 0; i < BATCHES_PER_WRITER; i++) {
        const res = await request('/api/batches', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(bigBatch(w, i)),
        })
        if (res.status !== 201)
          problems.push(`batch w${w} b${i}: ${res.status} ${await res.text()}`)
      }
    }
    const reader = async (r: number) => {
      const paths = [
        '/api/products',
        '/api/domains',
        '/api/lineage/overview',
        '/api/lineage?node=job:1&depth=5',
        '/api/datasets/1',
      ]
      for (let i = 0; writing; i++) {
        const res = await request(paths[(i + r) % paths.length] ?? '/api/domains')
        if (res.status !== 200 && res.status !== 404) problems.push(`read ${res.status}`)
        await res.text()
      }
    }
    // Other processes writing the same file: the four recorded demo projects at once.
    const collector = async () => {
      const results = []
      for (const day of ['good']) {
        results.push(
          ...(await Promise.all(
            PROJECTS.map((p) =>
              runCli([
                'collect',
                'dbt',
                join(ROOT, 'fixtures/dbt', day, p, 'target'),
                '--namespace',
                'duckdb://conc',
                '--db',
                dbFile,
              ]),
            ),
          )),
        )
      }
      return results
    }

    const readers = Array.from({ length: READERS }, (_, r) => reader(r))
    const [cli] = await Promise.all([
      collector(),
      Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))),
    ])
    writing = false
    await Promise.all(readers)
    await server.kill('SIGTERM')

    for (const r of cli) {
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).not.toMatch(/locked|busy/i)
    }
    expect(problems).toEqual([])
    expect(statuses.get(500) ?? 0).toBe(0)
    const db = openDb(dbFile)
    try {
      const n = db.$client
        .prepare("select count(*) as n from batches where scope like 'conc-w%'")
        .get() as { n: number }
      expect(n.n).toBe(WRITERS * BATCHES_PER_WRITER)
      const dbt = db.$client
        .prepare("select count(*) as n from batches where kind = 'dbt'")
        .get() as { n: number }
      expect(dbt.n).toBeGreaterThanOrEqual(PROJECTS.length)
    } finally {
      closeDb(db)
    }
  }, 60_000)
})
