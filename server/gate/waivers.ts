import { z } from 'zod'
import { waiverActive } from '../quality/governance.ts'
import type { GateCheck } from './types.ts'

export const GATE_CATEGORIES = [
  'tests',
  'product-score',
  'breaking-change',
  'private-dependency',
  'governance',
  'contract',
] as const
export type GateCategory = (typeof GATE_CATEGORIES)[number]

const DateLike = z.union([z.iso.date(), z.iso.datetime({ offset: true })])

/** meshwatch.yml `gate.waivers[]`: accept a known regression until it expires, with a reason. */
export const GateWaiverSchema = z.strictObject({
  check: z.enum(GATE_CATEGORIES),
  /** A dataset name, product id, test name or key, or `<policy>:<target>`; absent = all of the category. */
  target: z.string().min(1).optional(),
  reason: z.string().min(3),
  expires: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), DateLike),
})
export type GateWaiver = z.infer<typeof GateWaiverSchema>

/** The gate's settings as the diff reads them, with defaults applied. */
export interface GateSettings {
  /** A product score may drop at most this many points. */
  maxScoreDrop: number
  /** A worsened product status counts once it reaches this level. */
  failOn: 'warn' | 'breach'
  waivers: GateWaiver[]
}

export const DEFAULT_GATE: GateSettings = { maxScoreDrop: 5, failOn: 'warn', waivers: [] }

/** Marks failing checks that an unexpired waiver covers as `waived` (they no longer fail the gate). */
export function applyWaivers(
  checks: GateCheck[],
  waivers: readonly GateWaiver[],
  now: Date,
): GateCheck[] {
  return checks.map((c) => {
    if (c.status !== 'fail') return c
    const w = waivers.find(
      (w) =>
        w.check === c.category &&
        (w.target === undefined || c.targets.includes(w.target)) &&
        waiverActive(w, now),
    )
    return w ? { ...c, status: 'waived', waiver: { reason: w.reason, expires: w.expires } } : c
  })
}

/** Waivers whose expiry has passed: listed in the report so someone renews or removes them. */
export const expiredWaivers = (waivers: readonly GateWaiver[], now: Date): GateWaiver[] =>
  waivers.filter((w) => !waiverActive(w, now))
