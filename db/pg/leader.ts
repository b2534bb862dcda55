import { createHash } from 'node:crypto'
import pg from 'pg'
import type { Leader } from '../leader.ts'

// Leadership on a shared PostgreSQL by session advisory lock: each job (db/leader.ts) is one lock
// key, held by one session. The session is this replica's own connection (not a pooled one, which
// the pool may close or hand to a transaction), so the locks live exactly as long as it: a replica
// that dies, or whose connection is cut, loses its session and with it every lock, and the next
// check of another replica (one interval later at the most) takes the job.
//
// Not covered: PgBouncer in transaction pooling mode, which does not keep a session per client
// (advisory locks would outlive or move between replicas); connect to PostgreSQL directly or
// through session pooling.

/** The advisory lock key of a job: the first 8 bytes of sha256('meshwatch:' + job), as an int8. */
export function leaderKey(job: string): string {
  const h = createHash('sha256').update(`meshwatch:${job}`).digest()
  return h.readBigInt64BE(0).toString()
}

export interface PgLeaderOptions {
  /** The store's URL (postgres://…): the leader opens its own connection there. */
  url: string
  /** Names this replica's connection in pg_stat_activity: `meshwatch-leader <name>`. */
  name?: string
  /** Told when this replica takes or loses a job. */
  onChange?: (job: string, leads: boolean) => void
}

/**
 * A Leader on PostgreSQL. Each runIfLeader call is one check: a job it holds is confirmed by a
 * round trip on the session (a dead connection fails it, and every job is dropped); a job it does
 * not hold is tried with pg_try_advisory_lock, which never waits. A job whose session was lost
 * sits its next check out here, so another replica takes it rather than this one taking it back.
 */
export function pgLeader(opts: PgLeaderOptions): Leader {
  let client: pg.Client | undefined
  let connecting: Promise<pg.Client | undefined> | undefined
  /** The jobs a lost session held: each sits its next check out, so another replica takes it. */
  const resting = new Set<string>()
  let closed = false
  const held = new Set<string>()
  const checking = new Map<string, Promise<boolean>>()

  const lose = async (c: pg.Client): Promise<void> => {
    if (client !== c) return
    client = undefined
    for (const job of held) {
      resting.add(job)
      opts.onChange?.(job, false)
    }
    held.clear()
    await c.end().catch(() => undefined)
  }

  const open = async (): Promise<pg.Client | undefined> => {
    const c = new pg.Client({
      connectionString: opts.url,
      keepAlive: true,
      application_name: `meshwatch-leader${opts.name ? ` ${opts.name}` : ''}`,
    })
    c.on('error', () => void lose(c))
    c.on('end', () => void lose(c))
    try {
      await c.connect()
    } catch {
      await c.end().catch(() => undefined)
      return undefined
    }
    if (closed) {
      await c.end().catch(() => undefined)
      return undefined
    }
    client = c
    return c
  }

  const session = async (): Promise<pg.Client | undefined> => {
    if (client || closed) return client
    connecting ??= open().finally(() => (connecting = undefined))
    return connecting
  }

  const check = async (job: string): Promise<boolean> => {
    if (resting.delete(job)) return false
    const c = await session()
    if (!c) return false
    try {
      if (held.has(job)) {
        await c.query('select 1')
      } else {
        const r = await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int8) as ok', [
          leaderKey(job),
        ])
        if (r.rows[0]?.ok && client === c) {
          held.add(job)
          opts.onChange?.(job, true)
        }
      }
    } catch {
      void lose(c)
    }
    return client === c && held.has(job)
  }

  return {
    async runIfLeader(job, fn) {
      // one check per job at a time: two at once would take the (re-entrant) lock twice
      let p = checking.get(job)
      if (!p) {
        p = check(job).finally(() => checking.delete(job))
        checking.set(job, p)
      }
      return (await p) ? fn() : undefined
    },
    holds: (job) => client !== undefined && held.has(job),
    async close() {
      closed = true
      const c = (await connecting) ?? client
      if (c) await lose(c)
    },
  }
}
