import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** Starting a real Airflow on 127.0.0.1 and driving the demo DAGs, for the peer test and record.ts. */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const USER = { username: 'admin', password: 'admin' }
export const DEMO_DAGS = ['sales_daily', 'finance_ledger', 'marketing_campaigns', 'product_events']

export type AirflowInstance = {
  url: string
  version: 'v1' | 'v2'
  home: string
  api: (method: string, path: string, body?: unknown) => Promise<unknown>
  stop: () => Promise<void>
}

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startAirflow(venv: string, port: number): Promise<AirflowInstance> {
  const home = mkdtempSync(join(tmpdir(), 'meshwatch-airflow-'))
  const script = join(ROOT, 'test/peers/airflow/start-airflow.sh')
  const { stdout } = await run(join(venv, 'bin/python'), [
    '-c',
    'import importlib.metadata as m; print(m.version("apache-airflow"))',
  ])
  const version = stdout.trim().startsWith('3') ? 'v2' : 'v1'
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    const pidFile = join(home, 'pids')
    const pids = existsSync(pidFile)
      ? readFileSync(pidFile, 'utf8').split(/\s+/).filter(Boolean)
      : []
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      for (const pid of pids) {
        try {
          process.kill(-Number(pid), sig) // the process group started by setsid
        } catch {
          // already gone
        }
      }
      if (sig === 'SIGTERM') await sleep(3000)
    }
  }
  try {
    await run('bash', [script, venv, home, String(port)], { timeout: 240_000 })
  } catch (e) {
    await stop()
    throw e
  }
  let token: string | undefined
  const auth = async (): Promise<string> => {
    if (version === 'v1') return `Basic ${Buffer.from('admin:admin').toString('base64')}`
    if (!token) {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(USER),
      })
      const json: unknown = await res.json()
      if (typeof json !== 'object' || json === null || !('access_token' in json)) {
        throw new Error(`no token from ${url}/auth/token: ${JSON.stringify(json)}`)
      }
      token = String(json.access_token)
    }
    return `Bearer ${token}`
  }
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}/api/${version}${path}`, {
      method,
      headers: { authorization: await auth(), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`)
    return JSON.parse(text)
  }
  return { url, version, home, api, stop }
}

type Run = { dag_id: string; dag_run_id: string; state: string; run_type?: string }
const FINISHED = new Set(['success', 'failed'])

async function listRuns(af: AirflowInstance): Promise<Run[]> {
  const json = await af.api('GET', '/dags/~/dagRuns?limit=100')
  if (typeof json !== 'object' || json === null || !('dag_runs' in json)) return []
  return Array.isArray(json.dag_runs) ? json.dag_runs : []
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`Airflow: timed out waiting for ${what}`)
    await sleep(2000)
  }
}

/**
 * The manual runs of one demo day: sales, marketing and a finance run whose ERP load fails when
 * `badDay`. The bad day (and the default) keeps the ids of fixtures/airflow/v2; the other days of
 * the demo timeline (fixtures/record/build-demo.sh --airflow) carry the day in their ids.
 */
function demoTriggers(day = 'bad'): { dag: string; runId: string; badDay: boolean }[] {
  const suffix = day === 'bad' ? '' : `_${day}`
  return [
    { dag: 'sales_daily', runId: `manual_sales${suffix}`, badDay: false },
    { dag: 'marketing_campaigns', runId: `manual_marketing${suffix}`, badDay: false },
    {
      dag: 'finance_ledger',
      runId: day === 'bad' ? 'manual_bad_day' : `manual_finance${suffix}`,
      // the ERP extract stopped on the outage and was still stopped on the partial recovery
      badDay: ['bad', 'outage', 'partial'].includes(day),
    },
  ]
}

/**
 * Waits for the demo DAGs to be parsed, unpauses them, triggers one demo day's runs (demoTriggers:
 * sales, marketing and a finance run, a "bad day" one by default), then waits until every run
 * (including the scheduled and asset-triggered ones) has finished.
 */
export async function runDemo(
  af: AirflowInstance,
  timeoutMs = 840_000,
  day?: string,
): Promise<Run[]> {
  await until('the demo DAGs to be parsed', 120_000, async () => {
    const json = await af.api('GET', '/dags?limit=100')
    const n = typeof json === 'object' && json && 'total_entries' in json ? json.total_entries : 0
    return Number(n) >= DEMO_DAGS.length ? true : undefined
  })
  for (const dag of DEMO_DAGS) await af.api('PATCH', `/dags/${dag}`, { is_paused: false })
  const triggers = demoTriggers(day)
  for (const t of triggers) {
    await af.api('POST', `/dags/${t.dag}/dagRuns`, {
      dag_run_id: t.runId,
      conf: t.badDay ? { bad_day: true } : {},
      ...(af.version === 'v2' ? { logical_date: null } : {}),
    })
  }
  const finance = triggers.find((t) => t.dag === 'finance_ledger')?.runId
  return until('all demo runs to finish', timeoutMs, async () => {
    const runs = await listRuns(af)
    const done = (pred: (r: Run) => boolean) => runs.some((r) => pred(r) && FINISHED.has(r.state))
    const ready =
      triggers.every((t) => done((r) => r.dag_run_id === t.runId)) &&
      done((r) => r.dag_id === 'finance_ledger' && r.dag_run_id !== finance) &&
      done((r) => r.dag_id === 'product_events') &&
      runs.every((r) => FINISHED.has(r.state))
    return ready ? runs : undefined
  })
}
