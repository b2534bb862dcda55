import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import {
  getCollectorState,
  listCollectorStates,
  recordPollFailure,
  recordPollSuccess,
} from '../../db/queries/collectors.ts'

// A poller's cursor (Airflow): it moves only on success, so a failed poll reads the same window again.

describe('collector state', () => {
  it('records a success with its cursor, and a later failure keeps that cursor', () => {
    const db = openDb(':memory:')
    recordPollSuccess(db, 'airflow', '2026-03-01T00:00:00Z', '2026-03-01T00:01:00Z')
    recordPollFailure(db, 'airflow', 'HTTP 503 from Airflow', '2026-03-01T00:02:00Z')
    expect(getCollectorState(db, 'airflow')).toEqual({
      name: 'airflow',
      cursor: '2026-03-01T00:00:00Z',
      lastAttemptAt: '2026-03-01T00:02:00Z',
      lastSuccessAt: '2026-03-01T00:01:00Z',
      lastError: 'HTTP 503 from Airflow',
    })
  })

  it('clears the error on the next success and moves the cursor', () => {
    const db = openDb(':memory:')
    recordPollFailure(db, 'airflow', 'connection refused', '2026-03-01T00:00:00Z')
    expect(getCollectorState(db, 'airflow')).toMatchObject({ cursor: null, lastSuccessAt: null })
    recordPollSuccess(db, 'airflow', 'c2', '2026-03-01T00:05:00Z')
    expect(getCollectorState(db, 'airflow')).toMatchObject({
      cursor: 'c2',
      lastAttemptAt: '2026-03-01T00:05:00Z',
      lastSuccessAt: '2026-03-01T00:05:00Z',
      lastError: null,
    })
  })

  it('keeps each collector apart and lists them by name', () => {
    const db = openDb(':memory:')
    recordPollSuccess(db, 'airflow:prod', 'a', '2026-03-01T00:00:00Z')
    recordPollFailure(db, 'airflow:dev', 'down', '2026-03-01T00:00:00Z')
    expect(listCollectorStates(db).map((s) => [s.name, s.cursor, s.lastError])).toEqual([
      ['airflow:dev', null, 'down'],
      ['airflow:prod', 'a', null],
    ])
    expect(getCollectorState(db, 'nope')).toBeUndefined()
  })
})
