import type { Batch } from '../collectors/batch.ts'

/**
 * The demo's recorded days and their places on its timeline, oldest first, in days before the
 * bad day ("today"). Each was recorded from real dbt runs by fixtures/record/build-demo.sh
 * (same order, minutes apart); loadDemo moves each day's batches by one offset so that the days
 * lie one day apart, ending at the bad day's own recording time.
 */
export const DEMO_TIMELINE = [
  { day: 'good', daysAgo: 4 },
  { day: 'outage', daysAgo: 3 },
  { day: 'partial', daysAgo: 2 },
  { day: 'recovered', daysAgo: 1 },
  { day: 'bad', daysAgo: 0 },
] as const

export type DemoDay = (typeof DEMO_TIMELINE)[number]['day']

/** Where a day's recorded dbt targets live under fixtures/dbt: good and bad at the top, the others under history/. */
export const demoDayDir = (day: DemoDay): string =>
  day === 'good' || day === 'bad' ? day : `history/${day}`

export const DAY_MS = 86_400_000

/**
 * Hours after a day's recording at which the demo scores its products (then the next day comes):
 * the night after the day's builds, before the next 06:00 sales run is due. The days' dbt was
 * recorded in the evening; scored later than 07:00, a day's own Airflow schedule (sales_daily at
 * 06:00, 1 h grace) would find every product late until the next evening's builds.
 */
export const DEMO_EVALUATION_HOURS = [0, 3, 6, 9] as const

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/** One instant moved by `ms`, or the string unchanged when it is not a full ISO 8601 date-time. */
function shiftInstant(s: string, ms: number): string {
  if (!INSTANT.test(s)) return s
  const t = Date.parse(s)
  return Number.isNaN(t) ? s : new Date(t + ms).toISOString()
}

/**
 * An Airflow run id that carries a date: `scheduled__2026-12-02T06:00:00+00:00`,
 * `asset_triggered__2026-12-02T14:14:08.165944+00:00_9uuIcWA4`.
 */
const DATED_RUN_ID = /^([a-z_]+__)(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|\+00:00)(_\w+)?$/

/** A dated run id with its date moved by `ms`, written the way Airflow wrote it. */
function shiftRunId(m: RegExpExecArray, ms: number): string {
  const [, prefix = '', seconds = '', fraction = '', zone = 'Z', suffix = ''] = m
  if (ms % 1000 === 0) {
    const at = new Date(Date.parse(`${seconds}Z`) + ms).toISOString().slice(0, 19)
    return `${prefix}${at}${fraction}${zone}${suffix}`
  }
  const at = new Date(Date.parse(`${seconds}${fraction.slice(0, 4)}Z`) + ms).toISOString()
  return `${prefix}${at.replace(/Z$/, zone)}${suffix}`
}

function shiftString(s: string, ms: number): string {
  const dated = DATED_RUN_ID.exec(s)
  return dated ? shiftRunId(dated, ms) : shiftInstant(s, ms)
}

/**
 * A JSON value with every instant in it moved by `ms`, and the dates inside Airflow's dated run
 * ids (so that a day recorded on the same date as another keeps runs of its own).
 */
export function shiftValue(v: unknown, ms: number): unknown {
  if (typeof v === 'string') return shiftString(v, ms)
  if (Array.isArray(v)) return v.map((x) => shiftValue(x, ms))
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shiftValue(x, ms)]))
  return v
}

/**
 * A batch with every instant in it moved by `ms`: the batch's times, runs, assertions, metrics,
 * schedules, and instants inside facets, meta and a metric's JSON detail (dbt's max_loaded_at).
 * Durations and ages are relative and stay. Ids and names are not instants and stay (but for the
 * date inside an Airflow dated run id), so a shifted day keeps its own runs.
 */
export function shiftBatch(batch: Batch, ms: number): Batch {
  if (ms === 0) return batch
  const out = shiftValue(batch, ms) as Batch
  out.metrics = out.metrics.map((m) => (m.detail ? { ...m, detail: shiftDetail(m.detail, ms) } : m))
  return out
}

function shiftDetail(detail: string, ms: number): string {
  try {
    return JSON.stringify(shiftValue(JSON.parse(detail), ms))
  } catch {
    return detail
  }
}
