import { CronExpressionParser } from 'cron-parser'

/**
 * The latest cron tick T with T + grace <= now: the run a producer was expected to have finished.
 * Returns undefined for an expression cron-parser cannot read (Airflow presets like @daily are
 * mapped first).
 */
export function lastExpectedRun(
  cron: string,
  opts: { now: Date; graceMs: number; timezone?: string | undefined },
): { at: Date; next: Date } | undefined {
  const expr = PRESETS[cron.trim()] ?? cron.trim()
  if (expr === '') return undefined
  try {
    const it = CronExpressionParser.parse(expr, {
      currentDate: new Date(opts.now.getTime() - opts.graceMs),
      ...(opts.timezone ? { tz: opts.timezone } : {}),
    })
    const at = it.prev().toDate()
    const after = CronExpressionParser.parse(expr, {
      currentDate: at,
      ...(opts.timezone ? { tz: opts.timezone } : {}),
    })
    return { at, next: after.next().toDate() }
  } catch {
    return undefined
  }
}

// https://airflow.apache.org/docs/apache-airflow/stable/authoring-and-scheduling/cron.html#cron-presets
const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
}
