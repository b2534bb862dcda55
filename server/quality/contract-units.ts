// Units of ODCS slaProperties ("d, day, days for days; y, yr, years for years, etc. Units use the
// ISO standard": https://bitol-io.github.io/open-data-contract-standard/latest/service-level-agreement/).

const MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 7 * 86_400_000,
  wk: 7 * 86_400_000,
  week: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  month: 30 * 86_400_000,
  y: 365 * 86_400_000,
  yr: 365 * 86_400_000,
  year: 365 * 86_400_000,
}

/** A duration in ms from an ODCS value and unit (`4` `d`, `30` `min`); undefined when either is unreadable. */
export function durationMs(value: unknown, unit: string | undefined): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  if (!Number.isFinite(n) || n < 0 || unit === undefined) return undefined
  const u = unit.trim().toLowerCase()
  const per = MS[u] ?? MS[u.replace(/s$/, '')]
  return per === undefined ? undefined : n * per
}

/** A rate 0–1 from a percentage (`99.9`, unit `percent` or `%`, or no unit) or a fraction given with unit `ratio`. */
export function rateOf(value: unknown, unit: string | undefined): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  if (!Number.isFinite(n) || n < 0) return undefined
  const u = unit?.trim().toLowerCase()
  if (u === 'ratio' || u === 'fraction') return n <= 1 ? n : undefined
  if (u !== undefined && u !== 'percent' && u !== '%' && u !== 'pct') return undefined
  return n <= 100 ? Math.round(n * 1e6) / 1e8 : undefined
}

/** `1 d`, `12 h`: the promise as the contract wrote it. */
export const promiseText = (value: unknown, unit: string | undefined): string =>
  `${String(value)}${unit ? ` ${unit}` : ''}`

/**
 * A time of day from `timeOfAvailability`: `HH:MM` with a UTC offset (`09:00-08:00`, the ODCS
 * example's spelling), `HH:MM` with an IANA zone in `valueExt`, or `HH:MM` in UTC.
 */
export function timeOfDay(
  value: unknown,
  valueExt: unknown,
): { minutes: number; offsetMinutes?: number; zone?: string } | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::\d{2})?(Z|[+-]\d{2}:?\d{2})?$/.exec(String(value ?? '').trim())
  if (!m) return undefined
  const minutes = Number(m[1]) * 60 + Number(m[2])
  if (minutes >= 24 * 60) return undefined
  const off = m[3]
  if (off && off !== 'Z') {
    const [, sign, hh, mm] = /^([+-])(\d{2}):?(\d{2})$/.exec(off) ?? []
    return { minutes, offsetMinutes: (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) }
  }
  if (off === 'Z') return { minutes, offsetMinutes: 0 }
  if (typeof valueExt === 'string' && validZone(valueExt)) return { minutes, zone: valueExt }
  return { minutes, offsetMinutes: 0 }
}

const validZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The UTC offset (minutes) of `zone` at instant `t`. */
function zoneOffset(zone: string, t: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(t))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'))
  return Math.round((asUtc - Math.floor(t / 60_000) * 60_000) / 60_000)
}

/**
 * The most recent daily deadline at or before `now` (and the start of that local day), for a
 * time of day in a fixed offset or an IANA zone.
 */
export function lastDeadline(
  tod: { minutes: number; offsetMinutes?: number; zone?: string },
  now: Date,
): { deadline: Date; dayStart: Date } {
  const offsetAt = (t: number) => (tod.zone ? zoneOffset(tod.zone, t) : (tod.offsetMinutes ?? 0))
  const off = offsetAt(now.getTime())
  const local = new Date(now.getTime() + off * 60_000)
  const day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate())
  const at = (localDay: number) => {
    const guess = localDay + tod.minutes * 60_000 - off * 60_000
    return guess - (offsetAt(guess) - off) * 60_000
  }
  let d = at(day)
  let start = day
  if (d > now.getTime()) {
    start = day - 86_400_000
    d = at(start)
  }
  return { deadline: new Date(d), dayStart: new Date(start - offsetAt(start) * 60_000) }
}

/**
 * The time a column's observed minimum stands for, when it reads as one: a `yyyymmdd` integer
 * (a date partition key), epoch seconds or epoch milliseconds (years 2001–5138); else undefined.
 */
export function timeOfMinimum(v: number): Date | undefined {
  if (Number.isInteger(v) && v >= 1900_01_01 && v <= 2999_12_31) {
    const y = Math.floor(v / 10_000)
    const m = Math.floor(v / 100) % 100
    const d = v % 100
    const t = new Date(Date.UTC(y, m - 1, d))
    return t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t : undefined
  }
  if (v >= 1e9 && v < 1e11) return new Date(v * 1000)
  if (v >= 1e12 && v < 1e14) return new Date(v)
  return undefined
}
