import type { Odcs } from '../../collectors/contracts/schema.ts'
import { formatDuration } from '../../common/format.ts'
import { checked, notYet, type CheckContext, type ContractCheck } from './contract-check.ts'
import { durationMs } from './contract-units.ts'
import type { EpisodeFact } from './facts.ts'

type SlaProperty = NonNullable<Odcs['slaProperties']>[number]

const since = (e: EpisodeFact): number => Date.parse(e.startedAt ?? e.openedAt)

/**
 * timeToDetect / timeToNotify / timeToRepair from the product's alert episodes (newest first):
 * detect = episode opened − problem started upstream (the root cause's time), notify = its
 * `opened` alert delivered − problem started, repair = recovered − problem started. An open
 * episode past its repair promise counts in reliability (score.ts adds it while the product is
 * not ok); an earlier episode that took too long is a warning shown with the contract.
 */
export function checkEpisodes(
  ctx: CheckContext,
  p: SlaProperty,
  base: Pick<ContractCheck, 'kind' | 'name' | 'promised'>,
): ContractCheck {
  const ms = durationMs(p.value, p.unit)
  const prop = p.property.toLowerCase()
  const b = { ...base, dimension: prop === 'timetorepair' ? ('reliability' as const) : null }
  if (ms === undefined)
    return {
      ...notYet(b, ''),
      measurable: false,
      reason: `not measurable: ${String(p.value)} ${p.unit ?? ''} is not a duration`,
    }
  const [latest] = ctx.facts.episodes
  if (!latest) return notYet(b, 'no breach episode of this product yet')
  const now = ctx.now.getTime()
  const from = latest.startedAt ? 'the problem started' : 'the breach was detected'
  if (prop === 'timetodetect') {
    const e = ctx.facts.episodes.find((x) => x.startedAt !== null)
    if (!e) return notYet(b, 'no episode whose root cause says when the problem started')
    const took = Math.max(0, Date.parse(e.openedAt) - since(e))
    return verdict(b, took <= ms, took, ms, 'detected', `${e.openedAt}`, ctx.label, 'warn')
  }
  if (prop === 'timetonotify') {
    if (latest.notifiedAt === null) {
      const waiting = now - since(latest)
      if (latest.closedAt === null && waiting > ms)
        return checked(
          b,
          'breach',
          `not notified after ${formatDuration(waiting)}`,
          `the breach opened at ${latest.openedAt} has no delivered alert ${formatDuration(waiting)} after ${from}; promised within ${formatDuration(ms)} (${ctx.label})`,
        )
      return notYet(b, `the alert of the episode opened at ${latest.openedAt} is not delivered`)
    }
    const took = Math.max(0, Date.parse(latest.notifiedAt) - since(latest))
    return verdict(b, took <= ms, took, ms, 'notified', latest.notifiedAt, ctx.label, 'warn')
  }
  if (latest.closedAt === null) {
    const open = now - since(latest)
    return checked(
      b,
      open <= ms ? 'ok' : 'breach',
      `open for ${formatDuration(open)}`,
      open <= ms
        ? `breach open since ${latest.openedAt} (${formatDuration(open)} after ${from}), within the promised repair time of ${formatDuration(ms)}`
        : `not repaired ${formatDuration(open)} after ${from} (${latest.startedAt ?? latest.openedAt}); promised within ${formatDuration(ms)} (${ctx.label})`,
    )
  }
  const took = Math.max(0, Date.parse(latest.closedAt) - since(latest))
  return verdict(b, took <= ms, took, ms, 'repaired', latest.closedAt, ctx.label, 'warn')
}

function verdict(
  b: Pick<ContractCheck, 'kind' | 'name' | 'promised' | 'dimension'>,
  ok: boolean,
  took: number,
  ms: number,
  what: string,
  at: string,
  label: string,
  miss: 'warn' | 'breach',
): ContractCheck {
  return checked(
    { ...b, dimension: null },
    ok ? 'ok' : miss,
    `${what} in ${formatDuration(took)}`,
    ok
      ? `last episode ${what} in ${formatDuration(took)} (at ${at}), within the promised ${formatDuration(ms)}`
      : `last episode ${what} in ${formatDuration(took)} (at ${at}), over the promised ${formatDuration(ms)} (${label})`,
  )
}
