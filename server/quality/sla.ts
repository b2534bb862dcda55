import { DIMENSIONS, type Dimension } from '../../common/vocab.ts'
import { z } from 'zod'
import type { DimensionResult } from './facts.ts'
import { own, ownMap } from '../../collectors/own.ts'

/** The dimensions a product is scored on, in display order. */
export { DIMENSIONS, type Dimension }

const Pos = z.number().positive()
const NonNeg = z.number().nonnegative()
const Rate = z.number().min(0).max(1)
/**
 * What a dimension with nothing observed yet scores: `warn` "no data yet" (the default for a
 * dimension the SLA declares), `unknown` (no score, the default for one it does not), or not
 * scored at all (`skip`).
 */
const NoData = z.enum(['warn', 'unknown', 'skip'])

export const FreshnessSlaSchema = z.strictObject({
  on_no_data: NoData.optional(),
  /** Breach when the last successful write is older than this. */
  max_age_hours: Pos.optional(),
  /** Warn when older than this (default: never warn before breaching). */
  warn_age_hours: Pos.optional(),
  /** With a cron-scheduled producer: late once the expected run + grace passed without a write. */
  grace_minutes: NonNeg.optional(),
  use_schedule: z.boolean().optional(),
  /** Also inherit the status of stale upstream sources (dbt source freshness). */
  upstream_sources: z.boolean().optional(),
})

export const TestsSlaSchema = z.strictObject({
  on_no_data: NoData.optional(),
  /** Breach below this weighted pass rate (0–1), even when only warn-severity tests fail. */
  min_pass_rate: Rate.optional(),
  /** What a failing error-severity test on an upstream dataset (within upstream_depth hops) does. */
  upstream: z.enum(['off', 'warn', 'breach']).optional(),
})

export const VolumeSlaSchema = z.strictObject({
  on_no_data: NoData.optional(),
  min_rows: NonNeg.optional(),
  max_rows: NonNeg.optional(),
  /** Learn a band from history when no bounds are set (needs min_history points). */
  learn: z.boolean().optional(),
  /** Band = [median / tolerance, median * tolerance] of the recent history. */
  tolerance: z.number().min(1).optional(),
  min_history: z.number().int().min(2).optional(),
})

export const SchemaSlaSchema = z.strictObject({
  on_no_data: NoData.optional(),
  /** Status of a breaking change on public columns. */
  on_breaking: z.enum(['warn', 'breach']).optional(),
  /** A breaking change stops counting this long after it was observed (it became the new normal). */
  settle_hours: Pos.optional(),
  /** Require an enforced dbt contract on the outputs. */
  require_contract: z.boolean().optional(),
})

export const ReliabilitySlaSchema = z.strictObject({
  on_no_data: NoData.optional(),
  window_days: Pos.optional(),
  /** ok at or above this success rate of producing runs. */
  min_success_rate: Rate.optional(),
  /** breach below this; between the two it is warn. */
  breach_below: Rate.optional(),
})

export const WeightsSchema = z.strictObject({
  freshness: NonNeg.optional(),
  tests: NonNeg.optional(),
  volume: NonNeg.optional(),
  schema: NonNeg.optional(),
  reliability: NonNeg.optional(),
})

export const SlaSchema = z.strictObject({
  freshness: FreshnessSlaSchema.optional(),
  tests: TestsSlaSchema.optional(),
  volume: VolumeSlaSchema.optional(),
  schema: SchemaSlaSchema.optional(),
  reliability: ReliabilitySlaSchema.optional(),
  /** How many dataset hops upstream tests and sources are looked at. */
  upstream_depth: z.number().int().min(1).max(10).optional(),
  weights: WeightsSchema.optional(),
})
export type Sla = z.infer<typeof SlaSchema>

/** The built-in values every product gets unless a declaration says otherwise. */
export const DEFAULT_SLA = {
  freshness: { grace_minutes: 60, use_schedule: true, upstream_sources: true },
  tests: { min_pass_rate: 0, upstream: 'off' },
  volume: { learn: true, tolerance: 3, min_history: 5 },
  schema: { on_breaking: 'breach', settle_hours: 168, require_contract: false },
  reliability: { window_days: 7, min_success_rate: 0.95, breach_below: 0.8 },
  upstream_depth: 3,
  weights: { freshness: 30, tests: 30, volume: 15, schema: 15, reliability: 10 },
} as const satisfies Sla

export const SLA_SOURCES = ['default', 'meshwatch.yml', 'dbt_meta'] as const
export type SlaSource = (typeof SLA_SOURCES)[number]

export type SlaValue = { value: unknown; source: SlaSource }

/** The SLA a product is scored against: flat values plus where each one came from. */
export interface EffectiveSla {
  values: Record<string, SlaValue>
  /** Dimensions some declaration (not the built-in defaults) speaks about. */
  declared: Dimension[]
  warnings: string[]
}

export interface SlaLayers {
  /** meshwatch.yml `defaults.sla` */
  platform?: Sla | undefined
  /** dbt `meta.meshwatch.sla` as stored on the product, unvalidated */
  dbtMeta?: Record<string, unknown> | null | undefined
  /** meshwatch.yml `products.<id>.sla` */
  product?: Sla | undefined
}

/**
 * Merges built-in defaults < meshwatch.yml defaults < dbt meta < meshwatch.yml product entry.
 * An invalid dbt-meta value is ignored with a warning naming it; it never fails the evaluation.
 */
export function resolveSla(layers: SlaLayers): EffectiveSla {
  const values = ownMap<SlaValue>()
  const declared = new Set<Dimension>()
  const warnings: string[] = []
  const apply = (sla: Record<string, unknown> | undefined, source: SlaSource) => {
    for (const [path, value] of flatten(sla ?? {})) {
      values[path] = { value, source }
      const dim = path.split('.')[0]
      if (source !== 'default' && isDimension(dim)) declared.add(dim)
    }
  }
  apply(DEFAULT_SLA, 'default')
  apply(layers.platform, 'meshwatch.yml')
  apply(validDbtMeta(layers.dbtMeta, warnings), 'dbt_meta')
  apply(layers.product, 'meshwatch.yml')
  return { values, declared: DIMENSIONS.filter((d) => declared.has(d)), warnings }
}

function validDbtMeta(raw: Record<string, unknown> | null | undefined, warnings: string[]): Sla {
  if (!raw) return {}
  const out = ownMap<unknown>()
  for (const [key, value] of Object.entries(raw)) {
    const field: z.ZodType | undefined = own<z.ZodType>(SlaSchema.shape, key)
    if (!field) {
      warnings.push(`dbt meta.meshwatch.sla.${key}: unknown key, ignored`)
      continue
    }
    const r = field.safeParse(value)
    if (r.success) out[key] = r.data
    else
      warnings.push(
        `dbt meta.meshwatch.sla.${key}: ${r.error.issues[0]?.message ?? 'invalid'}, ignored`,
      )
  }
  return out
}

const isDimension = (s: string | undefined): s is Dimension =>
  s !== undefined && (DIMENSIONS as readonly string[]).includes(s)

function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      : v === undefined
        ? []
        : [[`${prefix}${k}`, v] as [string, unknown]],
  )
}

/** Typed reads of an effective SLA. */
export function slaNumber(sla: EffectiveSla, path: string): number | undefined {
  const v = own(sla.values, path)?.value
  return typeof v === 'number' ? v : undefined
}

export function slaBool(sla: EffectiveSla, path: string): boolean | undefined {
  const v = own(sla.values, path)?.value
  return typeof v === 'boolean' ? v : undefined
}

export function slaString(sla: EffectiveSla, path: string): string | undefined {
  const v = own(sla.values, path)?.value
  return typeof v === 'string' ? v : undefined
}

/** True when the SLA declares the dimension and wants "no data yet" reported as a warning. */
export function expectsData(sla: EffectiveSla, dim: Dimension): boolean {
  return sla.declared.includes(dim) && (slaString(sla, `${dim}.on_no_data`) ?? 'warn') === 'warn'
}

/**
 * A dimension with nothing to judge by: a warning when the SLA promises it (`on_no_data: warn`,
 * the default there), else `unknown` with no score, or left out with `on_no_data: skip`.
 */
export function noData(
  sla: EffectiveSla,
  dim: Dimension,
  what: string,
): DimensionResult | undefined {
  const mode = slaString(sla, `${dim}.on_no_data`)
  if (mode === 'skip') return undefined
  const reason = `no data yet: ${what}`
  if (expectsData(sla, dim)) return { dimension: dim, score: 50, status: 'warn', reason }
  return { dimension: dim, score: null, status: 'unknown', reason }
}
