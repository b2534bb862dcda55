import { describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../../db/client.ts'
import type { Deps } from '../../../server/deps.ts'
import { loadDemo } from '../../../server/demo.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { CONFIG, recordingTime, testClock } from '../alerts/helpers.ts'
import { sqliteStore } from '../../../db/store.ts'
import { dbOf } from '../../store-deps.ts'

/** Rows of what one evaluation writes: its scores, the alert outbox, the incidents. */
function counts(db: Db) {
  const n = (t: string) =>
    (db.$client.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n
  return {
    evaluations: n('evaluations'),
    alert_episodes: n('alert_episodes'),
    alerts: n('alerts'),
    incidents: n('incidents'),
    incident_transitions: n('incident_transitions'),
    incident_consumers: n('incident_consumers'),
  }
}

describe("incidents in the evaluation's transaction", () => {
  it('stores none of an evaluation (scores, alerts, incidents) when its incidents cannot be stored, and all of it once they can', async () => {
    const clock = testClock()
    const deps: Deps = { store: sqliteStore(openDb(':memory:')), meshwatch: CONFIG, now: clock.now }
    await loadDemo(deps, { days: ['good'] })
    clock.set(recordingTime(dbOf(deps)))
    await evaluateProducts(deps)
    await loadDemo(deps, { days: ['bad'] })
    clock.set(recordingTime(dbOf(deps)))
    const before = counts(dbOf(deps))
    // the store refuses the incidents' timeline (a full disk, a constraint): the last write of the transaction
    dbOf(deps).$client.exec(
      `create trigger refuse before insert on incident_transitions begin select raise(abort, 'refused'); end`,
    )
    await expect(evaluateProducts(deps)).rejects.toThrow(/refused/)
    expect(counts(dbOf(deps))).toEqual(before)
    dbOf(deps).$client.exec('drop trigger refuse')
    await evaluateProducts(deps)
    const after = counts(dbOf(deps))
    // the bad day's five breaches: their evaluations, alert episodes, outbox rows and incidents together
    expect(after.incidents - before.incidents).toBe(5)
    expect(after.incident_transitions - before.incident_transitions).toBe(5)
    expect(after.alert_episodes).toBeGreaterThan(before.alert_episodes)
    expect(after.alerts).toBeGreaterThan(before.alerts)
    expect(after.evaluations).toBeGreaterThan(before.evaluations)
  }, 120_000)
})
