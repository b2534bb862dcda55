import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { collectAirflow } from '../collectors/airflow/collect.ts'
import type { Batch } from '../collectors/batch.ts'
import {
  readDayRecording,
  recordedAirflowFetch,
  recordedPolls,
  replies,
  type Recorded,
} from '../fixtures/airflow/replay.ts'
import { DAY_MS, shiftValue, type DemoDay } from './demo-timeline.ts'
import type { Deps } from './deps.ts'

const AUTH = { username: 'admin', password: 'admin' }

/**
 * The demo Airflow as fixtures/airflow/v2 recorded it (Airflow 3, right after the bad day's dbt),
 * collected through its recording; undefined when it is not there.
 */
export async function collectRecordedAirflow(deps: Deps, root: string): Promise<Batch | undefined> {
  const dir = join(root, 'airflow', 'v2')
  if (!existsSync(join(dir, '_polls.json'))) return undefined
  const { url, pageSize } = recordedPolls(dir)
  const { batch } = await collectAirflow({
    url,
    auth: AUTH,
    apiVersion: 'v2',
    pageSize,
    fetch: recordedAirflowFetch(dir),
    retries: 0,
    dbtModels: await deps.store.admin.listDbtModelNames(),
  })
  return batch
}

/**
 * One day's Airflow (fixtures/airflow/history/<day>.json, recorded from a real Airflow 3 by
 * build-demo.sh --airflow), collected as if polled at that day's place `dayAt`: the recording is
 * moved back by whole days until it is no later than `dayAt`, so its cron times (06:00 sales run)
 * stay true, and the dates in its dated run ids move with it. Undefined when not recorded.
 */
export async function collectDemoAirflowDay(
  deps: Deps,
  root: string,
  day: DemoDay,
  dayAt: number,
): Promise<Batch | undefined> {
  const file = join(root, 'airflow', 'history', `${day}.json`)
  if (!existsSync(file)) return undefined
  const rec = readDayRecording(file)
  const shift = -Math.ceil((Date.parse(rec.recordedAt) - dayAt) / DAY_MS) * DAY_MS
  const exchanges = rec.exchanges.map((ex): Recorded => ({
    request: { ...ex.request, body: shiftValue(ex.request.body, shift) },
    status: ex.status,
    response: shiftValue(ex.response, shift),
  }))
  const { batch } = await collectAirflow({
    url: rec.url,
    auth: AUTH,
    apiVersion: 'v2',
    pageSize: rec.pageSize,
    fetch: recordedAirflowFetch(replies(exchanges)),
    retries: 0,
    dbtModels: await deps.store.admin.listDbtModelNames(),
  })
  return batch
}
