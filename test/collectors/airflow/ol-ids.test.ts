import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { dagRunOlId, staticUuid, taskRunOlId } from '../../../collectors/airflow/ol-ids.ts'

// Ids recorded from the real provider (fixtures/airflow/ol-ids/record.py): ours must be equal.
type Case =
  | {
      kind: 'dag_run'
      namespace: string
      dagId: string
      date: string
      clearNumber: number
      runId: string
    }
  | {
      kind: 'task'
      namespace: string
      dagId: string
      taskId: string
      tryNumber: number
      mapIndex: number
      date: string
      runId: string
    }
const { cases } = JSON.parse(
  readFileSync(new URL('../../../fixtures/airflow/ol-ids/cases.json', import.meta.url), 'utf8'),
) as { cases: Case[] }

describe('OpenLineage run ids of the Airflow provider', () => {
  it('has recorded cases of both kinds', () => {
    expect(cases.filter((c) => c.kind === 'dag_run').length).toBeGreaterThan(10)
    expect(cases.filter((c) => c.kind === 'task').length).toBeGreaterThan(10)
  })

  it.each(
    cases.map(
      (c) =>
        [
          `${c.kind} ${c.namespace} ${c.date} ${c.kind === 'task' ? `${c.taskId} try ${c.tryNumber} map ${c.mapIndex}` : `clear ${c.clearNumber}`}`,
          c,
        ] as const,
    ),
  )('%s', (_, c) => {
    const ours = c.kind === 'task' ? taskRunOlId(c) : dagRunOlId(c)
    expect(ours).toBe(c.runId)
  })

  it('reads the same instant written with Z, with an offset or with a millisecond fraction alike', () => {
    const a = staticUuid('2026-11-25T20:34:55.345254Z', 'x')
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(staticUuid('2026-11-25T21:34:55.345254+01:00', 'x')).toBe(a)
    expect(staticUuid('2026-11-25T06:00:00.000Z', 'x')).toBe(
      staticUuid('2026-11-25T06:00:00+00:00', 'x'),
    )
    expect(staticUuid('not a date', 'x')).toBeUndefined()
  })
})
