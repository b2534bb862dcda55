/** Minutes since midnight of `at` in time zone `tz`. */
function localMinutes(at: Date, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return n('hour') * 60 + n('minute')
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * How long until a route's quiet hours end, 0 outside them. The window may span midnight
 * (22:00–07:00); it is read in the route's time zone, so daylight saving moves it with the clock.
 */
export function quietMsLeft(q: { start: string; end: string; tz: string }, at: Date): number {
  const now = localMinutes(at, q.tz)
  const start = minutesOf(q.start)
  const end = minutesOf(q.end)
  const inside = start <= end ? now >= start && now < end : now >= start || now < end
  if (!inside) return 0
  const left = (end - now + 24 * 60) % (24 * 60)
  return left * 60_000 - at.getUTCSeconds() * 1000 - at.getUTCMilliseconds()
}
