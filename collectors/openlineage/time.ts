// ISO-8601 date-time with any fraction and an optional zone; a date alone is midnight.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * Normalizes an OpenLineage time to UTC ISO (`…Z`), keeping sub-millisecond digits (Java and
 * Python clients send micro- and nanoseconds). A time without a zone is read as UTC, as Marquez
 * does. Returns undefined for anything that is not a date-time.
 */
export function normalizeOlTime(value: string, opts: { dateOnly?: boolean } = {}): string | undefined {
  // The event schema's refine and parseEvent normalize the same eventTime back to back.
  const dateOnly = opts.dateOnly === true
  if (value === last.value && dateOnly === last.dateOnly) return last.result
  const result = normalize(value, dateOnly)
  last = { value, dateOnly, result }
  return result
}

let last: { value: string; dateOnly: boolean; result: string | undefined } = { value: '', dateOnly: false, result: undefined }

function normalize(value: string, dateOnly: boolean): string | undefined {
  const m = DATE_TIME.exec(value.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m
  if (h === undefined && !dateOnly) return undefined
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0))
  const check = new Date(base)
  if (Number.isNaN(base) || check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) {
    return undefined
  }
  if (Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 60) return undefined
  const utc = new Date(base - offsetMinutes(zone) * 60_000)
  if (Number.isNaN(utc.getTime()) || utc.getUTCFullYear() > 9999 || utc.getUTCFullYear() < 1) return undefined
  return `${utc.toISOString().slice(0, 19)}.${fraction(frac)}Z`
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'))
}

/** 3, 6 or 9 digits: milliseconds unless the producer sent more, so times sort as text. */
function fraction(frac: string | undefined): string {
  const f = (frac ?? '').slice(0, 9)
  const width = f.length <= 3 ? 3 : f.length <= 6 ? 6 : 9
  return f.padEnd(width, '0')
}
