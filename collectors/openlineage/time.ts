// ISO-8601 date-time with any fraction and an optional zone; a date alone is midnight.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * Normalizes an OpenLineage time to UTC ISO (`…Z`), keeping sub-millisecond digits (Java and
 * Python clients send micro- and nanoseconds). A time without a zone is read as UTC, as Marquez
 * does. Returns undefined for anything that is not a date-time.
 */
export function normalizeOlTime(value: string, opts?: { dateOnly?: boolean }): string | undefined {
  const dateOnly = opts?.dateOnly === true
  // The event schema's refines and parseEvent normalize the same times back to back.
  const last = dateOnly ? lastDate : lastTime
  if (value === last.value) return last.result
  const result = normalizeCommon(value) ?? normalize(value, dateOnly)
  last.value = value
  last.result = result
  return result
}

const lastTime = { value: '', result: undefined as string | undefined }
const lastDate = { value: '', result: undefined as string | undefined }

const code = (c: string): number => c.charCodeAt(0)
const DASH = code('-')
const COLON = code(':')
const DOT = code('.')
const PLUS = code('+')
const LETTER_T = code('T')
const LETTER_Z = code('Z')
const ZERO = code('0')

/**
 * What clients send (`2026-01-02T03:04:05[.fff…][Z|±hh:mm]`, years 1000–9999, no leap second)
 * read by char codes, as `normalize` would read it; undefined hands anything else to `normalize`.
 */
function normalizeCommon(v: string): string | undefined {
  const n = v.length
  if (n < 19 || v.charCodeAt(4) !== DASH || v.charCodeAt(7) !== DASH) return undefined
  if (v.charCodeAt(10) !== LETTER_T) return undefined
  if (v.charCodeAt(13) !== COLON || v.charCodeAt(16) !== COLON) return undefined
  const y = readNumber(v, 0, 4)
  const mo = readNumber(v, 5, 2)
  const d = readNumber(v, 8, 2)
  const h = readNumber(v, 11, 2)
  const mi = readNumber(v, 14, 2)
  const s = readNumber(v, 17, 2)
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined
  let i = 19
  if (i < n && v.charCodeAt(i) === DOT) {
    i++
    while (i < n && isDigit(v.charCodeAt(i))) i++
    if (i === 20) return undefined
  }
  const frac = fraction(i > 20 ? v.slice(20, i) : undefined)
  let offset = 0
  if (i < n) {
    const c = v.charCodeAt(i)
    if (c === LETTER_Z && i + 1 === n) return `${v.slice(0, 19)}.${frac}Z`
    if ((c !== PLUS && c !== DASH) || i + 6 !== n || v.charCodeAt(i + 3) !== COLON) return undefined
    const oh = readNumber(v, i + 1, 2)
    const om = readNumber(v, i + 4, 2)
    if (oh < 0 || om < 0) return undefined
    offset = (c === DASH ? -1 : 1) * (oh * 60 + om)
  }
  if (offset === 0) return `${v.slice(0, 19)}.${frac}Z`
  const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - offset * 60_000)
  const year = utc.getUTCFullYear()
  if (year > 9999 || year < 1) return undefined
  return `${utc.toISOString().slice(0, 19)}.${frac}Z`
}

const isDigit = (c: number): boolean => c >= ZERO && c <= ZERO + 9

/** The decimal number in v[at, at + width), or -1 if any of it is not an ASCII digit. */
function readNumber(v: string, at: number, width: number): number {
  let n = 0
  for (let i = at; i < at + width; i++) {
    const c = v.charCodeAt(i)
    if (!isDigit(c)) return -1
    n = n * 10 + c - ZERO
  }
  return n
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31
}

function normalize(value: string, dateOnly: boolean): string | undefined {
  const m = DATE_TIME.exec(value.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m
  if (h === undefined && !dateOnly) return undefined
  const base = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h ?? 0),
    Number(mi ?? 0),
    Number(s ?? 0),
  )
  const check = new Date(base)
  if (
    Number.isNaN(base) ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCMonth() !== Number(mo) - 1
  ) {
    return undefined
  }
  if (Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 60) return undefined
  const utc = new Date(base - offsetMinutes(zone) * 60_000)
  if (Number.isNaN(utc.getTime()) || utc.getUTCFullYear() > 9999 || utc.getUTCFullYear() < 1)
    return undefined
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
