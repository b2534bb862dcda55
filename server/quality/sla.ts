import { formatIssues } from '../../common/format.ts'
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

export const SLA_SOURCES = ['default', 'meshwatch.yml', 'dbt_meta', 'contract'] as const
export type SlaSource = (typeof SLA_SOURCES)[number]

/** A value of the effective SLA with the declaration that set it (the API shows both). */
export type SlaValue = { value: unknown; source: SlaSource }

type Defaults = typeof DEFAULT_SLA
/**
 * Every field of the SLA, typed, with the built-in default applied: a field DEFAULT_SLA sets is
 * never undefined; one it leaves out (a bound such as max_age_hours, on_no_data) is undefined
 * until a declaration sets it.
 */
type Resolved<S, D> = {
  [K in keyof S]-?: NonNullable<S[K]> extends Record<string, unknown>
    ? Resolved<NonNullable<S[K]>, K extends keyof D ? D[K] : object>
    : K extends keyof D
      ? NonNullable<S[K]>
      : S[K]
}
/** The same fields, each with the source of its value (undefined: nothing set it). */
type SourcesOf<S, D> = {
  [K in keyof S]-?: NonNullable<S[K]> extends Record<string, unknown>
    ? SourcesOf<NonNullable<S[K]>, K extends keyof D ? D[K] : object>
    : K extends keyof D
      ? SlaSource
      : SlaSource | undefined
}

export type SlaValues = Resolved<Required<Sla>, Defaults>
export type SlaSources = SourcesOf<Required<Sla>, Defaults>

/**
 * The SLA a product is scored against: every field typed and defaulted (`sla.freshness.grace_minutes`),
 * with `sources` beside it saying which declaration set each value.
 */
export interface EffectiveSla extends SlaValues {
  sources: SlaSources
  /** Dimensions some declaration (not the built-in defaults) speaks about. */
  declared: Dimension[]
  warnings: string[]
  /** The declarations it was merged from, so a contract's layer can be added (withContractLayer). */
  layers: SlaLayers
}

export interface SlaLayers {
  /** meshwatch.yml `defaults.sla` */
  platform?: Sla | undefined
  /** dbt `meta.meshwatch.sla` as stored on the product, unvalidated */
  dbtMeta?: Record<string, unknown> | null | undefined
  /** The product's ODCS contract: its slaProperties and quality rules as SLA values (contract-sla.ts). */
  contract?: { sla: Sla; label: string } | undefined
  /** meshwatch.yml `products.<id>.sla` */
  product?: Sla | undefined
}

/** The groups of fields of SlaSchema, in its order (upstream_depth, a single field, sits before weights). */
const GROUPS = ['freshness', 'tests', 'volume', 'schema', 'reliability', 'weights'] as const
type Group = (typeof GROUPS)[number]

/**
 * Merges built-in defaults < meshwatch.yml defaults < dbt meta < the product's ODCS contract <
 * meshwatch.yml product entry. An invalid dbt-meta value is ignored with a warning naming it; it
 * never fails the evaluation. A product entry overriding a contract's value is warned about.
 */
export function resolveSla(layers: SlaLayers): EffectiveSla {
  const warnings: string[] = []
  const ordered: [Sla, SlaSource][] = [
    [DEFAULT_SLA, 'default'],
    [layers.platform ?? {}, 'meshwatch.yml'],
    [validDbtMeta(layers.dbtMeta, warnings), 'dbt_meta'],
    [layers.contract?.sla ?? {}, 'contract'],
    [layers.product ?? {}, 'meshwatch.yml'],
  ]
  if (layers.contract) warnings.push(...overrides(layers.contract, layers.product ?? {}))
  const declared = new Set<Dimension>()
  const group = <G extends Group>(g: G) => {
    const values = ownMap<unknown>()
    const sources = ownMap<SlaSource>()
    for (const [sla, source] of ordered) {
      for (const [field, value] of Object.entries(sla[g] ?? {})) {
        if (value === undefined) continue
        values[field] = value
        sources[field] = source
        if (source !== 'default' && g !== 'weights') declared.add(g as Dimension)
      }
    }
    // Each layer is an Sla (validated by SlaSchema) and DEFAULT_SLA sets every defaulted field,
    // so the merge has the resolved group's type.
    return { values: values as SlaValues[G], sources: sources as SlaSources[G] }
  }
  const freshness = group('freshness')
  const tests = group('tests')
  const volume = group('volume')
  const schema = group('schema')
  const reliability = group('reliability')
  const weights = group('weights')
  let depth: { value: number; source: SlaSource } = {
    value: DEFAULT_SLA.upstream_depth,
    source: 'default',
  }
  for (const [sla, source] of ordered)
    if (sla.upstream_depth !== undefined) depth = { value: sla.upstream_depth, source }
  return {
    freshness: freshness.values,
    tests: tests.values,
    volume: volume.values,
    schema: schema.values,
    reliability: reliability.values,
    upstream_depth: depth.value,
    weights: weights.values,
    sources: {
      freshness: freshness.sources,
      tests: tests.sources,
      volume: volume.sources,
      schema: schema.sources,
      reliability: reliability.sources,
      upstream_depth: depth.source,
      weights: weights.sources,
    },
    declared: DIMENSIONS.filter((d) => declared.has(d)),
    warnings,
    layers,
  }
}

/** The same SLA with a contract's layer added (or replaced) at its place in the precedence. */
export const withContractLayer = (sla: EffectiveSla, contract: SlaLayers['contract']) =>
  resolveSla({ ...sla.layers, contract })

function overrides(contract: { sla: Sla; label: string }, product: Sla): string[] {
  const out: string[] = []
  for (const g of GROUPS) {
    const mine: Record<string, unknown> = contract.sla[g] ?? {}
    const theirs: Record<string, unknown> = product[g] ?? {}
    for (const [field, v] of Object.entries(mine)) {
      const o = own(theirs, field)
      if (o !== undefined && v !== undefined && o !== v)
        out.push(
          `meshwatch.yml products entry sets ${g}.${field} to ${String(o)} over ${contract.label}'s ${String(v)}: scored against meshwatch.yml`,
        )
    }
  }
  return out
}

/**
 * The values some declaration or default set, each with its source, by dotted path
 * (`['freshness.max_age_hours', {value: 24, source: 'dbt_meta'}]`), for `meshwatch check`.
 */
export function slaEntries(sla: EffectiveSla): [string, SlaValue][] {
  const out: [string, SlaValue][] = []
  for (const g of GROUPS) {
    if (g === 'weights')
      out.push([
        'upstream_depth',
        { value: sla.upstream_depth, source: sla.sources.upstream_depth },
      ])
    const sources: Partial<Record<string, SlaSource>> = sla.sources[g]
    for (const [field, value] of Object.entries(sla[g])) {
      const source = own(sources, field)
      if (value !== undefined && source !== undefined)
        out.push([`${g}.${field}`, { value, source }])
    }
  }
  return out
}

/**
 * `{freshness: {max_age_hours: {value, source}}, upstream_depth: {value, source}}`: the same
 * values nested, as GET /api/products/:id shows them.
 */
export function slaWithSources(sla: EffectiveSla) {
  const entries = slaEntries(sla)
  const fields = (g: Group) => {
    const out = ownMap<SlaValue>()
    for (const [path, v] of entries) if (path.startsWith(`${g}.`)) out[path.slice(g.length + 1)] = v
    return out
  }
  return {
    freshness: fields('freshness'),
    tests: fields('tests'),
    volume: fields('volume'),
    schema: fields('schema'),
    reliability: fields('reliability'),
    upstream_depth: { value: sla.upstream_depth, source: sla.sources.upstream_depth },
    weights: fields('weights'),
  }
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
    else warnings.push(`dbt meta.meshwatch.sla.${key}: ${formatIssues(r.error.issues, 1)}, ignored`)
  }
  return out
}

/** True when the SLA declares the dimension and wants "no data yet" reported as a warning. */
export function expectsData(sla: EffectiveSla, dim: Dimension): boolean {
  return sla.declared.includes(dim) && (sla[dim].on_no_data ?? 'warn') === 'warn'
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
  if (sla[dim].on_no_data === 'skip') return undefined
  const reason = `no data yet: ${what}`
  if (expectsData(sla, dim)) return { dimension: dim, score: 50, status: 'warn', reason }
  return { dimension: dim, score: null, status: 'unknown', reason }
}
