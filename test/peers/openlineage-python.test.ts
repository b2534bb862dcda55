import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../db/client.ts'
import { SILENT } from '../../server/deps.ts'
import { startServer } from '../../server/main.ts'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const PYTHON = join(REPO, '.venv/bin/python')
const EMIT = join(REPO, 'fixtures/openlineage/python-client/emit.py')
const run = promisify(execFile)

describe.skipIf(!existsSync(PYTHON))(
  'the openlineage-python client (HTTP transport, api key, gzip)',
  () => {
    let db: Db
    let url: string
    let close: () => Promise<void>
    const dir = mkdtempSync(join(tmpdir(), 'meshwatch-ol-'))

    beforeAll(async () => {
      const s = await startServer({
        dbFile: join(dir, 'store.db'),
        port: 0,
        host: '127.0.0.1',
        demo: false,
        log: SILENT,
      })
      db = s.db
      url = s.url
      close = () => new Promise((resolve) => s.server.close(() => resolve()))
    })
    afterAll(async () => {
      await close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('delivers every event, and they land on the graph', async () => {
      const { stdout } = await run(
        PYTHON,
        [EMIT, '--url', url, '--api-key', 'meshwatch-test-key'],
        { cwd: REPO },
      )
      expect(stdout).toContain('emitted 8 events')
      const n = (q: ReturnType<typeof sql>) => db.get<{ n: number }>(q).n
      expect(n(sql`select count(*) as n from raw_events`)).toBe(8)
      expect(db.all(sql`select name, type from jobs order by name`)).toEqual([
        { name: 'sales_daily', type: 'airflow_dag' },
        { name: 'sales_daily.export', type: 'airflow_task' },
        { name: 'sales_daily.load_orders', type: 'airflow_task' },
        { name: 'sales_daily.publish', type: 'airflow_task' },
      ])
      expect(
        db.all(
          sql`select r.state, r.error, j.name from runs r join jobs j on j.id = r.job_id order by j.name`,
        ),
      ).toEqual([
        { state: 'FAIL', error: null, name: 'sales_daily' },
        { state: 'COMPLETE', error: null, name: 'sales_daily.load_orders' },
        { state: 'FAIL', error: 'publish failed: timeout', name: 'sales_daily.publish' },
      ])
      expect(n(sql`select count(*) as n from column_edges`)).toBe(2)
      expect(db.all(sql`select status from assertions order by status`)).toEqual([
        { status: 'fail' },
        { status: 'pass' },
      ])
      expect(db.get(sql`select value from metrics where name = 'row_count'`)).toEqual({
        value: 1200,
      })
      expect(
        db.get(
          sql`select description, owner from datasets where name = 'mesh.sales_raw.raw_orders'`,
        ),
      ).toEqual({
        description: 'Orders loaded from the shop (static)',
        owner: 'team:sales',
      })
    })

    it('sends the same events again without storing them twice', async () => {
      await run(PYTHON, [EMIT, '--url', url], { cwd: REPO })
      expect(db.get<{ n: number }>(sql`select count(*) as n from raw_events`).n).toBe(8)
    })
  },
)
