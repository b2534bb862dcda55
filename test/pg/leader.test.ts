import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { airflowJob, LEADER_JOBS, soleLeader, type Leader } from '../../db/leader.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { leaderKey, pgLeader } from '../../db/pg/leader.ts'
import { createDatabase } from './helpers.ts'

// Two replicas on one PostgreSQL, each with its own leader session. A "round" is what each
// replica does once per interval: check every job (the order of the replicas changes from round
// to round). Takeover is bounded by rounds, never by wall-clock time.

const JOBS = [...LEADER_JOBS, airflowJob('prod'), airflowJob('staging')]
let url: string
let admin: pg.Pool
const opened: Leader[] = []

beforeAll(async () => {
  url = await createDatabase()
  admin = await openPgPool(url)
})
afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()))
  await admin.end()
})

const replica = (name: string) => {
  const l = pgLeader({ url, name })
  opened.push(l)
  return l
}

/** Every replica checks every job once; answers who ran each job this round. */
async function round(replicas: Record<string, Leader>): Promise<Record<string, string[]>> {
  const ran: Record<string, string[]> = Object.fromEntries(JOBS.map((j) => [j, []]))
  for (const [name, l] of Object.entries(replicas))
    for (const job of JOBS) await l.runIfLeader(job, () => ran[job]!.push(name))
  return ran
}

/** The backend pids holding a job's advisory lock, as PostgreSQL sees them. */
async function holders(job: string): Promise<number[]> {
  const key = BigInt.asUintN(64, BigInt(leaderKey(job)))
  const r = await admin.query<{ pid: number }>(
    `select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 1
        and classid::int8 = $1 and objid::int8 = $2`,
    [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
  )
  return r.rows.map((x) => x.pid)
}

describe('leadership by session advisory lock (db/pg/leader.ts)', () => {
  it('gives each job to exactly one of two replicas, and keeps it there round after round', async () => {
    const a = replica('a')
    const b = replica('b')
    // b checks some jobs first, so both lead something
    await b.runIfLeader('dispatch', () => undefined)
    await b.runIfLeader(airflowJob('staging'), () => undefined)
    const first = await round({ a, b })
    for (const job of JOBS) expect(first[job], job).toHaveLength(1)
    expect(first['dispatch']).toEqual(['b'])
    expect(first['evaluate']).toEqual(['a'])
    for (let i = 0; i < 3; i++) expect(await round(i % 2 ? { a, b } : { b, a })).toEqual(first)
    for (const job of JOBS) {
      expect(a.holds(job) !== b.holds(job), job).toBe(true)
      expect(await holders(job), job).toHaveLength(1)
    }
    await Promise.all([a.close(), b.close()])
    for (const job of JOBS) expect(await holders(job)).toEqual([])
  })

  it("hands a replica's jobs to the other within one round when its session is killed", async () => {
    const a = replica('a2')
    const b = replica('b2')
    await round({ a, b })
    expect(JOBS.every((j) => a.holds(j) && !b.holds(j))).toBe(true)
    const [pid] = await holders('evaluate')
    const killed = await admin.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [
      pid,
    ])
    expect(killed.rows).toEqual([{ ok: true }])
    // the dead session is noticed (pg reports the connection's end): a drops every job at once
    await vi.waitFor(() => expect(JOBS.some((j) => a.holds(j))).toBe(false))
    // one round, a checking first: a sits the round out, b takes every job
    const next = await round({ a, b })
    expect(next).toEqual(Object.fromEntries(JOBS.map((j) => [j, ['b']])))
    expect(JOBS.every((j) => b.holds(j) && !a.holds(j))).toBe(true)
    // a is back the round after, as a follower: nothing runs twice
    const after = await round({ a, b })
    expect(after).toEqual(next)
    await Promise.all([a.close(), b.close()])
  })

  it('takes over within one round from a replica that stopped (its session ended)', async () => {
    const a = replica('a3')
    const b = replica('b3')
    await round({ a, b })
    await a.close()
    expect(await round({ b })).toEqual(Object.fromEntries(JOBS.map((j) => [j, ['b']])))
    await b.close()
  })

  it('drops a lead whose session died unnoticed: the next check fails, nothing runs there', async () => {
    const a = replica('a4')
    const b = replica('b4')
    expect(await a.runIfLeader('evaluate', () => 'ran')).toBe('ran')
    // the kill and the check race: whichever pg reports first, a must not run the job
    const [pid] = await holders('evaluate')
    await admin.query('select pg_terminate_backend($1)', [pid])
    expect(await a.runIfLeader('evaluate', () => 'ran')).toBeUndefined()
    expect(a.holds('evaluate')).toBe(false)
    expect(await b.runIfLeader('evaluate', () => 'b ran')).toBe('b ran')
    await Promise.all([a.close(), b.close()])
  })

  it('leads nothing, and throws nothing, while the store cannot be reached', async () => {
    const u = new URL(url)
    u.port = '1' // nothing listens there
    const l = pgLeader({ url: u.toString() })
    expect(await l.runIfLeader('evaluate', () => 'ran')).toBeUndefined()
    expect(l.holds('evaluate')).toBe(false)
    await l.close()
  })
})

describe('the single-process leader (SQLite)', () => {
  it('leads every job, always', async () => {
    const l = soleLeader()
    for (const job of JOBS) {
      expect(await l.runIfLeader(job, () => job)).toBe(job)
      expect(l.holds(job)).toBe(true)
    }
    await l.close()
  })
})
