import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, startAirflow, type AirflowInstance } from './harness.ts'

/**
 * The Airflow 3.2+ scenario of fixtures/airflow/3.3/dags (partitioned assets, Deadline Alerts, SQL
 * hook lineage), for fixtures/airflow/3.3/record.ts and the live peer test airflow-3-3.test.ts.
 */

export const DAGS_3_3 = join(ROOT, 'fixtures/airflow/3.3/dags')
export const SCENARIO_DAGS = [
  'orders_hourly',
  'ledger_by_partition',
  'ledger_deadline',
  'ledger_on_time',
  'warehouse_sql',
]
export const PARTITION = '2026-12-01T05:00:00'

/** Starts Airflow on the 3.3 DAG folder, with the SQLite connection its SQL task uses. */
export async function startScenarioAirflow(venv: string, port: number): Promise<AirflowInstance> {
  process.env.MESHWATCH_AIRFLOW_DAGS = DAGS_3_3
  const sqliteFile = join(mkdtempSync(join(tmpdir(), 'meshwatch-sqlite-')), 'warehouse.db')
  process.env.AIRFLOW_CONN_MESH_SQLITE = JSON.stringify({ conn_type: 'sqlite', host: sqliteFile })
  try {
    return await startAirflow(venv, port)
  } finally {
    delete process.env.MESHWATCH_AIRFLOW_DAGS
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
type Run = { dag_id: string; dag_run_id: string; state: string }
const FINISHED = ['success', 'failed']

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
 * Unpauses the DAGs, triggers a run for the 05:00 partition, the two deadline DAGs and the SQL
 * DAG, and waits until every run (the scheduled and asset-triggered ones too) has finished.
 */
export async function runScenario(af: AirflowInstance): Promise<Run[]> {
  await until('the DAGs to be parsed', 180_000, async () => {
    const json = (await af.api('GET', '/dags?limit=100')) as { dags?: { dag_id: string }[] }
    const ids = new Set((json.dags ?? []).map((d) => d.dag_id))
    return SCENARIO_DAGS.every((d) => ids.has(d)) ? true : undefined
  })
  for (const dag of SCENARIO_DAGS) await af.api('PATCH', `/dags/${dag}`, { is_paused: false })
  const trigger = (dag: string, runId: string, extra: Record<string, unknown> = {}) =>
    af.api('POST', `/dags/${dag}/dagRuns`, { dag_run_id: runId, logical_date: null, ...extra })
  await trigger('orders_hourly', 'manual_partition', { partition_key: PARTITION })
  await trigger('ledger_deadline', 'manual_missed')
  await trigger('ledger_on_time', 'manual_on_time')
  await trigger('warehouse_sql', 'manual_sql')
  const runs = await until('every run to finish', 600_000, async () => {
    const json = (await af.api('GET', '/dags/~/dagRuns?limit=100')) as { dag_runs?: Run[] }
    const list = json.dag_runs ?? []
    const done = (dag: string) => list.some((r) => r.dag_id === dag && FINISHED.includes(r.state))
    return SCENARIO_DAGS.every(done) && list.every((r) => FINISHED.includes(r.state))
      ? list
      : undefined
  })
  // the scheduler emits DAG-run COMPLETE events a moment after the state changes
  await sleep(10_000)
  return runs
}
