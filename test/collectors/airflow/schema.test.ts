import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dagRunOlId } from '../../../collectors/airflow/ol-ids.ts'
import { mapAirflow } from '../../../collectors/airflow/map.ts'
import { API } from '../../../collectors/airflow/schema.ts'

const SHARED_V1 = join(
  import.meta.dirname,
  '../../../../shared/real/airflow/v1/task_instances.json',
)

describe.skipIf(!existsSync(SHARED_V1))(
  'a task-instance list recorded from a real Airflow 2 (v1)',
  () => {
    // describe.skipIf still runs this body to collect the tests, so read only when present
    const json: unknown = existsSync(SHARED_V1)
      ? JSON.parse(readFileSync(SHARED_V1, 'utf8'))
      : undefined

    it('parses with the v1 schema', () => {
      const page = API.v1.taskInstances.parse(json)
      expect(page.total).toBe(1)
      expect(page.items[0]).toMatchObject({
        dagId: 'tutorial',
        taskId: 'sleep',
        state: 'running',
        mapIndex: -1,
        renderedFields: { bash_command: 'sleep 30' },
      })
    })

    it('maps a running task instance to a RUNNING run of the task job under its DAG run', () => {
      const { items } = API.v1.taskInstances.parse(json)
      const batch = mapAirflow({
        scope: 'airflow:x',
        dags: [],
        runs: [],
        taskInstances: items,
        assets: [],
        assetEvents: [],
        importErrors: [],
      })
      expect(batch.runs).toEqual([
        expect.objectContaining({
          runId: 'airflow:tutorial:manual__2024-02-09T19:18:19.519278+00:00:sleep',
          job: { namespace: 'default', name: 'tutorial.sleep' },
          state: 'RUNNING',
          startedAt: '2024-02-09T19:18:19.819Z',
          parentRunId: 'airflow:tutorial:manual__2024-02-09T19:18:19.519278+00:00',
        }),
      ])
    })
  },
)

describe('v1 and v2 DAG shapes map to the same model', () => {
  const common = {
    dag_id: 'd',
    description: null,
    owners: ['o'],
    tags: [{ name: 'domain:x' }],
    is_paused: true,
    fileloc: '/d.py',
    has_import_errors: false,
  }
  it.each([
    {
      name: 'v1: schedule_interval, is_active, next_dagrun_create_after',
      parse: () =>
        API.v1.dags.parse({
          dags: [
            {
              ...common,
              is_active: true,
              schedule_interval: { __type: 'CronExpression', value: '0 6 * * *' },
              timetable_description: 'At 06:00',
              next_dagrun: '2026-01-01T06:00:00+00:00',
              next_dagrun_create_after: '2026-01-02T06:00:00+00:00',
            },
          ],
          total_entries: 1,
        }),
    },
    {
      name: 'v2: timetable_summary, is_stale, next_dagrun_run_after',
      parse: () =>
        API.v2.dags.parse({
          dags: [
            {
              ...common,
              is_stale: false,
              timetable_summary: '0 6 * * *',
              timetable_description: 'At 06:00',
              next_dagrun_logical_date: '2026-01-01T06:00:00Z',
              next_dagrun_run_after: '2026-01-02T06:00:00Z',
            },
          ],
          total_entries: 1,
        }),
    },
  ])('$name', ({ parse }) => {
    expect(parse().items[0]).toEqual({
      dagId: 'd',
      description: undefined,
      owners: ['o'],
      tags: ['domain:x'],
      paused: true,
      stale: false,
      scheduleSummary: '0 6 * * *',
      timetableDescription: 'At 06:00',
      nextRunAt: '2026-01-02T06:00:00.000Z',
      nextLogicalDate: '2026-01-01T06:00:00.000Z',
      fileloc: '/d.py',
      hasImportErrors: false,
      partitioned: false,
    })
  })

  it('uses run_after as nominal time when a v2 run has no logical date', () => {
    const { items } = API.v2.dagRuns.parse({
      dag_runs: [
        {
          dag_id: 'd',
          dag_run_id: 'manual_1',
          state: 'queued',
          logical_date: null,
          run_after: '2026-01-01T10:00:00Z',
          queued_at: null,
          start_date: null,
          end_date: null,
          last_scheduling_decision: null,
          run_type: 'manual',
          triggered_by: 'rest_api',
        },
      ],
      total_entries: 1,
    })
    const batch = mapAirflow({
      scope: 's',
      dags: [],
      runs: items,
      taskInstances: [],
      assets: [],
      assetEvents: [],
      importErrors: [],
    })
    expect(batch.runs[0]).toMatchObject({
      // The OpenLineage provider's id for it, from run_after as the provider does on Airflow 3.
      runId: dagRunOlId({
        namespace: 'default',
        dagId: 'd',
        date: '2026-01-01T10:00:00Z',
        clearNumber: 0,
      }),
      facets: { airflow: { dagRunId: 'manual_1' } },
      state: 'START',
      nominalTime: '2026-01-01T10:00:00.000Z',
    })
  })
})

describe('asset events of both versions', () => {
  const run = { dag_id: 'finance_ledger', logical_date: null, state: 'success' }
  const source = {
    source_dag_id: 'sales_daily',
    source_task_id: 'orders.run',
    source_run_id: 'r1',
    source_map_index: -1,
    timestamp: '2026-01-01T00:00:00+00:00',
  }
  it.each([
    {
      name: 'v1 dataset event (created run as dag_run_id)',
      parse: () =>
        API.v1.assetEvents.parse({
          dataset_events: [
            {
              ...source,
              dataset_id: 1,
              dataset_uri: 'postgres://h/db/s/orders',
              created_dagruns: [{ ...run, dag_run_id: 'dataset_triggered__1' }],
            },
          ],
          total_entries: 1,
        }),
    },
    {
      name: 'v2 asset event (created run as run_id)',
      parse: () =>
        API.v2.assetEvents.parse({
          asset_events: [
            {
              ...source,
              id: 9,
              asset_id: 1,
              uri: 'postgres://h/db/s/orders',
              created_dagruns: [{ ...run, run_id: 'dataset_triggered__1' }],
            },
          ],
          total_entries: 1,
        }),
    },
  ])('$name', ({ parse }) => {
    const [event] = parse().items
    expect(event).toEqual({
      assetId: 1,
      uri: 'postgres://h/db/s/orders',
      sourceDagId: 'sales_daily',
      sourceTaskId: 'orders.run',
      sourceRunId: 'r1',
      triggered: [{ dagId: 'finance_ledger', runId: 'dataset_triggered__1' }],
      timestamp: '2026-01-01T00:00:00.000Z',
    })
    const batch = mapAirflow({
      scope: 's',
      dags: [],
      runs: [],
      taskInstances: [],
      assets: [
        { id: 1, uri: 'postgres://h/db/s/orders', name: undefined, producers: [], consumers: [] },
      ],
      assetEvents: event ? [event] : [],
      importErrors: [],
    })
    const ds = { namespace: 'postgres://h:5432', name: 'db.s.orders' }
    expect(batch.edges).toEqual([
      {
        job: { namespace: 'default', name: 'sales_daily.orders.run' },
        dataset: ds,
        direction: 'output',
      },
      { job: { namespace: 'default', name: 'finance_ledger' }, dataset: ds, direction: 'input' },
    ])
  })
})
