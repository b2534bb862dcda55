import type { Odcs } from '../../collectors/contracts/schema.ts'
import { formatAgo, formatDuration } from '../../common/format.ts'
import {
  checked,
  notMeasurable,
  notYet,
  outputsOf,
  type CheckContext,
  type ContractCheck,
} from './contract-check.ts'
import { checkEpisodes } from './contract-episodes.ts'
import { checkRetention } from './contract-retention.ts'
import { durationMs, lastDeadline, promiseText, rateOf, timeOfDay } from './contract-units.ts'
import { HOUR } from './facts.ts'
import { lastWriteOf } from './freshness.ts'
import { scoreReliability } from './reliability.ts'
import { lastExpectedRun } from './schedule.ts'
import type { EffectiveSla, Sla } from './sla.ts'

type SlaProperty = NonNullable<Odcs['slaProperties']>[number]

const minOf = (a: number | undefined, b: number) => (a === undefined ? b : Math.min(a, b))
const maxOf = (a: number | undefined, b: number) => (a === undefined ? b : Math.max(a, b))

/**
 * The SLA values a contract's promises set (its layer in resolveSla): `latency` → freshness
 * max_age_hours, `availability` → reliability min_success_rate, `errorRate` → reliability
 * breach_below, a library `rowCount` rule → volume min_rows/max_rows. The strictest one wins
 * when a contract repeats a property.
 */
export function contractSlaLayer(c: Odcs): Sla {
  let maxAge: number | undefined
  let minRate: number | undefined
  let breachBelow: number | undefined
  for (const p of c.slaProperties ?? []) {
    const prop = p.property.toLowerCase()
    if (prop === 'latency') {
      const ms = durationMs(p.value, p.unit)
      if (ms !== undefined && ms > 0) maxAge = minOf(maxAge, ms / HOUR)
    } else if (prop === 'availability') {
      const r = rateOf(p.value, p.unit ?? 'percent')
      if (r !== undefined) minRate = maxOf(minRate, r)
    } else if (prop === 'errorrate') {
      const r = rateOf(p.value, p.unit ?? 'percent')
      if (r !== undefined) breachBelow = maxOf(breachBelow, 1 - r)
    }
  }
  const rows = rowCountBounds(c)
  const sla: Sla = {}
  if (maxAge !== undefined) sla.freshness = { max_age_hours: maxAge }
  if (minRate !== undefined || breachBelow !== undefined) {
    const min = minRate ?? breachBelow
    sla.reliability = {
      ...(min === undefined ? {} : { min_success_rate: min }),
      ...(breachBelow === undefined ? {} : { breach_below: Math.min(breachBelow, min ?? 1) }),
    }
  }
  if (rows.min !== undefined || rows.max !== undefined)
    sla.volume = {
      ...(rows.min === undefined ? {} : { min_rows: rows.min }),
      ...(rows.max === undefined ? {} : { max_rows: rows.max }),
    }
  return sla
}

/** Row-count bounds of the contract's library `rowCount` rules on its schema objects. */
export function rowCountBounds(c: Odcs): { min?: number; max?: number } {
  let min: number | undefined
  let max: number | undefined
  for (const o of c.schema ?? []) {
    for (const q of o.quality ?? []) {
      if ((q.metric ?? q.rule) !== 'rowCount') continue
      if (q.mustBeGreaterThan !== undefined) min = maxOf(min, Math.floor(q.mustBeGreaterThan) + 1)
      const ge = q.mustBeGreaterOrEqualTo ?? q.mustBeGreaterThanOrEqualTo
      if (ge !== undefined) min = maxOf(min, ge)
      if (q.mustBeLessThan !== undefined) max = minOf(max, Math.ceil(q.mustBeLessThan) - 1)
      const le = q.mustBeLessOrEqualTo ?? q.mustBeLessThanOrEqualTo
      if (le !== undefined) max = minOf(max, le)
      const [lo, hi] = q.mustBeBetween ?? []
      if (lo !== undefined) min = maxOf(min, lo)
      if (hi !== undefined) max = minOf(max, hi)
    }
  }
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) }
}

/** Every slaProperty of the contract, measured (or listed as not measurable, with why). */
export function checkSlaProperties(ctx: CheckContext, sla: EffectiveSla): ContractCheck[] {
  return (ctx.contract.slaProperties ?? []).map((p) => checkProperty(ctx, sla, p))
}

function checkProperty(ctx: CheckContext, sla: EffectiveSla, p: SlaProperty): ContractCheck {
  const base = { kind: 'sla' as const, name: p.property, promised: promiseOf(p) }
  const element = p.element ?? ctx.contract.slaDefaultElement
  switch (p.property.toLowerCase()) {
    case 'latency':
      return latency(ctx, sla, p, element)
    case 'frequency':
      return frequency(ctx, sla, p, element)
    case 'availability':
    case 'errorrate':
      return rate(ctx, sla, p, element)
    case 'timeofavailability':
      return deadline(ctx, p, element)
    case 'retention':
      return checkRetention(ctx, p, element)
    case 'timetodetect':
    case 'timetonotify':
    case 'timetorepair':
      return checkEpisodes(ctx, p, base)
    default:
      return notMeasurable(
        base,
        `${p.property} is not a property meshwatch measures (it measures latency, frequency, availability, errorRate, timeOfAvailability, timeToDetect, timeToNotify, timeToRepair)`,
      )
  }
}

const promiseOf = (p: SlaProperty): string =>
  p.property === 'timeOfAvailability'
    ? `by ${String(p.value)}${typeof p.valueExt === 'string' ? ` ${p.valueExt}` : ''}${p.driver ? ` (${p.driver})` : ''}`
    : promiseText(p.value, p.unit)

function unreadable(p: SlaProperty): ContractCheck {
  return notMeasurable(
    { kind: 'sla', name: p.property, promised: promiseOf(p) },
    `value ${String(p.value)}${p.unit ? ` ${p.unit}` : ''} is not a duration or rate meshwatch reads`,
  )
}

function noOutputs(p: SlaProperty, missing: string[]): ContractCheck {
  return notMeasurable(
    { kind: 'sla', name: p.property, promised: promiseOf(p) },
    `no bound output of the product to measure it on${missing.length ? ` (${missing.join('; ')})` : ''}`,
  )
}

/** The newest successful write among the outputs, and which output it was. */
function newestWrite(outputs: CheckContext['product']['outputs']) {
  let best: { at: string; name: string } | undefined
  for (const o of outputs) {
    const at = lastWriteOf(o)
    if (at && (!best || Date.parse(at) > Date.parse(best.at))) best = { at, name: o.name }
  }
  return best
}

function latency(
  ctx: CheckContext,
  sla: EffectiveSla,
  p: SlaProperty,
  element: string | undefined,
): ContractCheck {
  const ms = durationMs(p.value, p.unit)
  if (ms === undefined) return unreadable(p)
  const { outputs, missing } = outputsOf(ctx, element)
  if (outputs.length === 0) return noOutputs(p, missing)
  const base = {
    kind: 'sla' as const,
    name: p.property,
    promised: promiseOf(p),
    dimension: 'freshness' as const,
  }
  const scoredBy = {
    field: 'freshness.max_age_hours',
    value: sla.freshness.max_age_hours,
    source: sla.sources.freshness.max_age_hours ?? 'default',
  }
  const last = newestWrite(outputs)
  if (!last) return { ...notYet(base, 'no successful write observed'), scoredBy }
  const age = ctx.now.getTime() - Date.parse(last.at)
  const ok = age <= ms
  return {
    ...checked(
      base,
      ok ? 'ok' : 'breach',
      `last written ${formatAgo(last.at, ctx.now)}`,
      ok
        ? `${last.name} was written ${formatAgo(last.at, ctx.now)}, within the promised ${formatDuration(ms)}`
        : `${last.name} was last written ${formatAgo(last.at, ctx.now)}, later than the promised ${formatDuration(ms)} (${ctx.label})`,
    ),
    scoredBy,
  }
}

/**
 * frequency: the data is updated at least every `value unit`. Schedule-aware: a cron-scheduled
 * producing DAG must tick at least that often, and the last write is late once the interval plus
 * the SLA's grace passed; a paused DAG is never late.
 */
function frequency(
  ctx: CheckContext,
  sla: EffectiveSla,
  p: SlaProperty,
  element: string | undefined,
): ContractCheck {
  const ms = durationMs(p.value, p.unit)
  if (ms === undefined || ms === 0) return unreadable(p)
  const { outputs, missing } = outputsOf(ctx, element)
  if (outputs.length === 0) return noOutputs(p, missing)
  const base = {
    kind: 'sla' as const,
    name: p.property,
    promised: `every ${formatDuration(ms)}`,
    dimension: 'freshness' as const,
  }
  const graceMs = sla.freshness.grace_minutes * 60_000
  for (const o of outputs) {
    for (const dag of o.dags) {
      if (dag.schedule?.paused)
        return checked(base, 'ok', 'producer paused', `DAG ${dag.name} is paused: no update is due`)
      const cron = dag.schedule?.cron
      if (!cron) continue
      const tick = lastExpectedRun(cron, {
        now: ctx.now,
        graceMs: 0,
        timezone: dag.schedule?.timezone,
      })
      if (!tick) continue
      const every = tick.next.getTime() - tick.at.getTime()
      if (every > ms + graceMs)
        return checked(
          base,
          'warn',
          `scheduled every ${formatDuration(every)}`,
          `DAG ${dag.name} (${dag.schedule?.summary ?? cron}) runs every ${formatDuration(every)}, less often than the promised ${formatDuration(ms)} (${ctx.label})`,
        )
    }
  }
  const last = newestWrite(outputs)
  if (!last) return notYet(base, 'no successful write observed')
  const age = ctx.now.getTime() - Date.parse(last.at)
  const ok = age <= ms + graceMs
  return checked(
    base,
    ok ? 'ok' : 'breach',
    `last update ${formatAgo(last.at, ctx.now)}`,
    ok
      ? `${last.name} was updated ${formatAgo(last.at, ctx.now)}: on its promised ${formatDuration(ms)} cycle`
      : `${last.name} was last updated ${formatAgo(last.at, ctx.now)}: it misses its promised update every ${formatDuration(ms)} (+ ${formatDuration(graceMs)} grace, ${ctx.label})`,
  )
}

function rate(
  ctx: CheckContext,
  sla: EffectiveSla,
  p: SlaProperty,
  element: string | undefined,
): ContractCheck {
  const r = rateOf(p.value, p.unit ?? 'percent')
  if (r === undefined) return unreadable(p)
  const { outputs, missing } = outputsOf(ctx, element)
  if (outputs.length === 0) return noOutputs(p, missing)
  const isError = p.property.toLowerCase() === 'errorrate'
  const base = {
    kind: 'sla' as const,
    name: p.property,
    promised: promiseOf(p),
    dimension: 'reliability' as const,
  }
  const field = isError ? 'breach_below' : 'min_success_rate'
  const scoredBy = {
    field: `reliability.${field}`,
    value: sla.reliability[field],
    source: sla.sources.reliability[field],
  }
  const days = sla.reliability.window_days
  const d = scoreReliability(outputs, sla, ctx.now)?.detail
  const ok = typeof d?.ok === 'number' ? d.ok : undefined
  const total = typeof d?.total === 'number' ? d.total : undefined
  if (ok === undefined || total === undefined || total === 0)
    return { ...notYet(base, `no producing run finished in the last ${days} days`), scoredBy }
  const success = ok / total
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`
  const measured = isError ? `${pct(1 - success)} errors` : `${pct(success)} succeeded`
  const met = isError ? 1 - success <= r : success >= r
  return {
    ...checked(
      base,
      met ? 'ok' : isError || success < sla.reliability.breach_below ? 'breach' : 'warn',
      measured,
      `${ok} of ${total} producing runs succeeded in the last ${days} days (${measured}; promised ${isError ? 'at most' : 'at least'} ${pct(r)}${met ? '' : `, ${ctx.label}`})`,
      Math.round(success * 100),
    ),
    scoredBy,
  }
}

/**
 * timeOfAvailability: each day's data is there by the time given (a UTC offset or `valueExt`
 * zone): once today's deadline passed, some successful write must have happened that local day
 * by then. `driver: analytics` makes a miss a warning; regulatory and operational a breach.
 */
function deadline(ctx: CheckContext, p: SlaProperty, element: string | undefined): ContractCheck {
  const tod = timeOfDay(p.value, p.valueExt)
  if (!tod) return unreadable(p)
  const { outputs, missing } = outputsOf(ctx, element)
  if (outputs.length === 0) return noOutputs(p, missing)
  const base = {
    kind: 'sla' as const,
    name: p.property,
    promised: promiseOf(p),
    dimension: 'freshness' as const,
  }
  const { deadline: due, dayStart } = lastDeadline(tod, ctx.now)
  const writes = outputs.flatMap((o) =>
    o.runs
      .filter((r) => r.state === 'COMPLETE')
      .map((r) => r.endedAt ?? r.startedAt)
      .concat(o.writeSignals),
  )
  const onTime = writes
    .filter((t): t is string => t !== null)
    .filter((t) => Date.parse(t) >= dayStart.getTime() && Date.parse(t) <= due.getTime())
    .sort()
    .at(-1)
  if (onTime)
    return checked(
      base,
      'ok',
      `available ${onTime}`,
      `written at ${onTime}, before the deadline ${due.toISOString()}`,
    )
  const miss = p.driver?.toLowerCase() === 'analytics' ? 'warn' : 'breach'
  const last = newestWrite(outputs)
  return checked(
    base,
    miss,
    last ? `last written ${last.at}` : 'never written',
    `no successful write between ${dayStart.toISOString()} and the deadline ${due.toISOString()}${last ? ` (last write ${last.at})` : ''}${p.driver ? `; driver ${p.driver}` : ''} (${ctx.label})`,
  )
}
