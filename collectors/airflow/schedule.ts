import { CronExpressionParser } from 'cron-parser'
import type { Schedule } from '../batch.ts'

/** Airflow's cron presets (airflow/utils/dates.py `cron_presets`); cron-parser lacks @quarterly. */
const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
}

/** The 5-field cron of an Airflow schedule summary, or undefined when it is not a cron. */
export function cronOf(summary: string | undefined): string | undefined {
  if (!summary) return undefined
  const s = summary.trim()
  const cron = (Object.hasOwn(PRESETS, s) ? PRESETS[s] : undefined) ?? s
  if (cron.split(/\s+/).length !== 5) return undefined
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' })
    return cron
  } catch {
    return undefined
  }
}

export type ScheduleInput = {
  summary: string | undefined
  description: string | undefined
  timezone: string | undefined
  nextRunAt: string | undefined
  paused: boolean
}

/**
 * Builds the batch schedule of a DAG: cron when the timetable is one, else only the summary.
 * A timezone that does not reproduce Airflow's own next run time is dropped (Airflow 3.1 reports
 * `UTC` for a DAG whose cron runs in its start date's zone) and `warn` is told why.
 */
export function toSchedule(s: ScheduleInput, warn: (msg: string) => void = () => {}): Schedule {
  const cron = cronOf(s.summary)
  const summary = s.description ?? s.summary
  let timezone = s.timezone
  if (cron && timezone && s.nextRunAt) {
    const before = new Date(Date.parse(s.nextRunAt) - 1)
    if (nextRunsAfter({ cron, timezone }, before, 1)[0] !== s.nextRunAt) {
      warn(`timezone ${timezone} does not give Airflow's next run ${s.nextRunAt} for cron ${cron}`)
      timezone = undefined
    }
  }
  return {
    ...(cron ? { cron } : {}),
    ...(summary ? { summary } : {}),
    ...(timezone ? { timezone } : {}),
    ...(s.nextRunAt ? { nextRunAt: s.nextRunAt } : {}),
    paused: s.paused,
  }
}

/**
 * The next `n` times strictly after `after` at which a cron schedule is due, as ISO strings in
 * UTC, evaluated in the schedule's timezone (default UTC). Empty when the schedule has no cron.
 */
export function nextRunsAfter(
  schedule: Pick<Schedule, 'cron' | 'timezone'>,
  after: Date | string,
  n: number,
): string[] {
  const cron = cronOf(schedule.cron)
  if (!cron || n <= 0) return []
  const expr = CronExpressionParser.parse(cron, {
    currentDate: new Date(after),
    tz: schedule.timezone ?? 'UTC',
  })
  return expr.take(n).map((d) => {
    const iso = d.toISOString()
    if (!iso) throw new Error(`cron ${cron} produced an invalid date`)
    return iso
  })
}
