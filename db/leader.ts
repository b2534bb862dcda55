import { pgLeader } from './pg/leader.ts'
import type { Store } from './store.ts'

// Work that must run on one replica at a time — the per-minute SLA evaluation, raw-event
// retention, the alert dispatcher, each configured Airflow's poll — asks a Leader first. On
// SQLite one process owns the store, so it leads everything; on PostgreSQL (db/pg/leader.ts) a
// session advisory lock per job decides, and a replica that dies hands its jobs to another.

/** The jobs that run on one replica at a time; an Airflow's poll is `airflowJob(name)`. */
export const LEADER_JOBS = ['evaluate', 'retention', 'dispatch'] as const

/** The job of polling the configured Airflow `name`: one replica polls each Airflow. */
export const airflowJob = (name: string): string => `airflow:${name}`

export interface Leader {
  /**
   * Runs `fn` when this replica leads `job` (taking the lead when no replica holds it) and answers
   * its result; answers undefined, without running it, when another replica leads.
   */
  runIfLeader<T>(job: string, fn: () => T | Promise<T>): Promise<T | undefined>
  /** Whether this replica led `job` at its last check (false once its session is known lost). */
  holds(job: string): boolean
  /** Gives up every job (a replica shutting down hands them over at once). */
  close(): Promise<void>
}

/** The leader of a single-process store (SQLite): this process leads every job, always. */
export function soleLeader(): Leader {
  return {
    runIfLeader: async (_job, fn) => fn(),
    holds: () => true,
    close: async () => {},
  }
}

export interface OpenLeaderOptions {
  /** Names this replica (in pg_stat_activity on PostgreSQL). */
  name?: string
  /** Told when this replica takes or loses a job. */
  onChange?: (job: string, leads: boolean) => void
}

/** The Leader of `store`, opened from `spec` (its --db): a session of its own on PostgreSQL. */
export function openLeader(store: Store, spec: string, opts: OpenLeaderOptions = {}): Leader {
  return store.engine === 'postgres' ? pgLeader({ url: spec, ...opts }) : soleLeader()
}
