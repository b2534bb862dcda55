import type { Leader } from '../db/leader.ts'
import { SILENT, type Logger } from './deps.ts'

// The periodic work one replica does for all (the evaluator's timer, the alert dispatcher's loop,
// raw-event retention) runs while this replica leads its job: the lead is checked every interval
// under leader.runIfLeader, the work started when this replica takes the job and stopped when it
// no longer leads it. A replica that dies loses its lead with its session, and another one's next
// check (one interval later at the most) starts the work there.

/** Stops a started piece of work; a promise when stopping waits for work in flight. */
export type StopFn = () => void | Promise<void>

export interface LedJob {
  /** The leader job (db/leader.ts LEADER_JOBS). */
  job: string
  /** How often the lead is checked: the takeover time when the leading replica dies. */
  checkMs: number
  /** Starts the work (it runs until the returned function is called). */
  start: () => StopFn
}

export interface LedJobs {
  /** Stops all the work and the checks. */
  stop(): Promise<void>
  /** This replica lost `job` (its leader session is gone): stop its work now, not at the next check. */
  lost(job: string): void
}

/** Runs each job's work while this replica leads it. */
export function startLedJobs(
  leader: Leader,
  jobs: readonly LedJob[],
  log: Logger = SILENT,
): LedJobs {
  let stopped = false
  const stops = new Map<string, StopFn>()
  const timers: NodeJS.Timeout[] = []
  const stopJob = async (job: string) => {
    const stop = stops.get(job)
    stops.delete(job)
    if (stop) await stop()
  }
  for (const j of jobs) {
    let checking = false
    const check = async () => {
      if (checking || stopped) return
      checking = true
      try {
        const leads = (await leader.runIfLeader(j.job, () => true)) === true
        if (stopped) return
        if (leads && !stops.has(j.job)) {
          log.info('this replica leads a job: starting it', { job: j.job })
          stops.set(j.job, j.start())
        } else if (!leads && stops.has(j.job)) {
          log.info('another replica leads a job now: stopping it here', { job: j.job })
          await stopJob(j.job)
        }
      } catch (e) {
        log.error('leader check failed', { job: j.job, error: String(e) })
      } finally {
        checking = false
      }
    }
    void check()
    const t = setInterval(() => void check(), j.checkMs)
    t.unref()
    timers.push(t)
  }
  return {
    async stop() {
      stopped = true
      for (const t of timers) clearInterval(t)
      await Promise.all([...stops.keys()].map(stopJob))
    },
    lost(job) {
      if (!stops.has(job)) return
      log.warn('this replica lost its leader session: stopping a job here', { job })
      void stopJob(job)
    },
  }
}
