interface LocalClock {
  /** The local date, as the UTC midnight of that calendar day. */
  dayMs: number
  minutes: number
  offsetMs: number
}

/** The local wall clock of `at` in time zone `tz`: its day, minutes since midnight, and the zone's UTC offset then. */
function localClock(at: Date, tz: string): LocalClock {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'))
  return {
    dayMs: Date.UTC(n('year'), n('month') - 1, n('day')),
    minutes: n('hour') * 60 + n('minute'),
    offsetMs: wall - (at.getTime() - at.getUTCMilliseconds()),
  }
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * How long until a route's quiet hours end, 0 outside them. The window may span midnight
 * (22:00–07:00) and is read in the route's time zone: when daylight saving starts or ends inside
 * it, it still ends at `end` on the local clock (an hour sooner or later than the same stretch
 * on another night).
 */
export function quietMsLeft(q: { start: string; end: string; tz: string }, at: Date): number {
  const here = localClock(at, q.tz)
  const now = here.minutes
  const start = minutesOf(q.start)
  const end = minutesOf(q.end)
  const inside = start <= end ? now >= start && now < end : now >= start || now < end
  if (!inside) return 0
  const left = (end - now + 24 * 60) % (24 * 60)
  const naive = left * 60_000 - at.getUTCSeconds() * 1000 - at.getUTCMilliseconds()
  // The offset may change before the end: the end is `end` on the clock of that moment.
  const shift = localClock(new Date(at.getTime() + naive), q.tz).offsetMs - here.offsetMs
  // (An end inside a spring-forward gap is never shown: look again within a minute.)
  return Math.max(Math.min(naive, 60_000), naive - shift)
}

/**
 * The first moment after `after` at which the clock of `tz` shows `hhmm` (a daily digest time).
 * Read on that day's own offset, so 09:00 stays 09:00 across daylight saving; a time the clock
 * skips (02:30 on the night it springs forward) falls an hour later, a time it shows twice (the
 * night it falls back) is the second showing, once.
 */
export function nextLocalTime(hhmm: string, tz: string, after: Date): Date {
  const day = localClock(after, tz).dayMs
  for (const d of [0, 1, 2]) {
    const wall = day + d * 86_400_000 + minutesOf(hhmm) * 60_000
    const guess = wall - localClock(new Date(wall), tz).offsetMs
    const at = wall - localClock(new Date(guess), tz).offsetMs
    if (at > after.getTime()) return new Date(at)
  }
  throw new Error(`no ${hhmm} in ${tz} within two days of ${after.toISOString()}`)
}
