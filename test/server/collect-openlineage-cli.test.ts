import { execFile } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { sqliteStore } from '../../db/store.ts'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../dist/cli.js')
const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python'

async function cli(args: string[]) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { maxBuffer: 64 * 2 ** 20 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

const line = (i: number) =>
  JSON.stringify({
    eventType: i % 2 === 0 ? 'START' : 'COMPLETE',
    eventTime: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    run: { runId: `run-${i >> 1}` },
    job: { namespace: 'airflow', name: `dag.task_${(i >> 1) % 50}` },
    producer: PRODUCER,
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  })

async function writeEvents(file: string, n: number): Promise<void> {
  const out = createWriteStream(file)
  for (let i = 0; i < n; i++) {
    if (!out.write(`${line(i)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((r) => out.end(() => r()))
}

describe('meshwatch collect openlineage', () => {
  // Reading every file into one array first overflowed the call stack past ~120k events.
  it('streams a file of 150k events into the store, with progress on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwatch-ol-cli-'))
    const file = join(dir, 'events.ndjson')
    await writeEvents(file, 150_000)
    const db = join(dir, 'store.db')
    const r = await cli(['collect', 'openlineage', file, '--db', db])
    expect(r.stderr).toContain('100000 events read')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('150000 events: 150000 stored, 0 already known, 0 invalid')
    const store = new Database(db, { readonly: true })
    const n = (q: string) => (store.prepare(q).get() as { n: number }).n
    expect(n('select count(*) n from raw_events')).toBe(150_000)
    expect(n("select count(*) n from runs where state = 'COMPLETE'")).toBe(75_000)
    store.close()
  }, 120_000)

  it('posts the events to a running server with --server in batches, naming the invalid one by its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwatch-ol-cli-'))
    const file = join(dir, 'events.ndjson')
    const lines = Array.from({ length: 2500 }, (_, i) => line(i))
    lines[1234] = JSON.stringify({ eventType: 'START', run: { runId: 'x' } })
    writeFileSync(file, `${lines.join('\n')}\n`)
    const db = openDb(join(dir, 'server.db'))
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve(
        { fetch: createApp({ store: sqliteStore(db) }).fetch, port: 0, hostname: '127.0.0.1' },
        () => resolve(s),
      )
    })
    try {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      const r = await cli(['collect', 'openlineage', file, '--server', `http://127.0.0.1:${port}`])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain('2500 events: 2499 stored, 0 already known, 1 invalid')
      expect(r.stderr).toContain(`${file}:1235: skipped:`)
      expect(db.$client.prepare('select count(*) n from raw_events').get()).toEqual({ n: 2499 })
    } finally {
      server.close()
      closeDb(db)
    }
  })

  it('collects a directory mixing NDJSON, one compact event, one pretty event and arrays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwatch-ol-cli-'))
    const events = Array.from({ length: 8 }, (_, i) => JSON.parse(line(i)) as unknown)
    writeFileSync(
      join(dir, 'a.ndjson'),
      `${JSON.stringify(events[0])}\n${JSON.stringify(events[1])}\n`,
    )
    writeFileSync(join(dir, 'b.json'), JSON.stringify(events[2]))
    writeFileSync(join(dir, 'c.json'), `${JSON.stringify(events[3], null, 2)}\n`)
    writeFileSync(join(dir, 'd.json'), JSON.stringify([events[4], events[5]]))
    writeFileSync(join(dir, 'e.json'), JSON.stringify([events[6], events[7]], null, 2))
    const db = join(dir, 'store.db')
    const single = await cli(['collect', 'openlineage', join(dir, 'c.json'), '--db', db])
    expect(single.code, single.stderr).toBe(0)
    expect(single.stdout).toContain('1 events: 1 stored')
    const r = await cli(['collect', 'openlineage', dir, '--db', db])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('8 events: 7 stored, 1 already known, 0 invalid')
    expect(r.stderr).toBe('')
  })

  it('refuses a directory with a non-OpenLineage file before storing any of the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwatch-ol-cli-'))
    writeFileSync(join(dir, 'a.ndjson'), `${line(0)}\n${line(1)}\n`)
    writeFileSync(join(dir, 'b.ndjson'), 'id,name\n1,orders\n')
    const db = join(dir, 'store.db')
    const r = await cli(['collect', 'openlineage', dir, '--db', db])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/b\.ndjson: not OpenLineage NDJSON: none of its 2 lines is JSON/)
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/)
    // Refused before the store was even opened.
    expect(existsSync(db)).toBe(false)
  })
})
