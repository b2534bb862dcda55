import type { Odcs } from '../../collectors/contracts/schema.ts'
import type { Dimension, Status } from '../../common/vocab.ts'
import type { ContractFacts, OutputFacts, ProductFacts } from './facts.ts'
import type { SlaSource } from './sla.ts'

/** One promise of a contract (an SLA property, a quality rule, a schema column) as measured now. */
export interface ContractCheck {
  kind: 'sla' | 'quality' | 'schema'
  /** `latency`, `nullValues on orders.order_id`, `column orders.payment_method` */
  name: string
  /** The promise as the contract states it. */
  promised: string
  /** What meshwatch observed, for a person; null when nothing was measured. */
  measured: string | null
  status: Status
  score: number | null
  reason: string
  /** false: meshwatch has no way to measure it (the reason says why); listed, never dropped. */
  measurable: boolean
  /** The dimension it counts in (null: shown with the contract only). */
  dimension: Dimension | null
  /** It counts through the effective SLA's value (`freshness.max_age_hours`), set by `source`. */
  scoredBy?: { field: string; value: unknown; source: SlaSource }
}

/** What a check function gets: the contract, its facts, and the product's outputs by dataset id. */
export interface CheckContext {
  contract: Odcs
  facts: ContractFacts
  product: ProductFacts
  outputs: Map<number, OutputFacts>
  now: Date
  /** `urn:…:orders v1.2.0`, for reasons. */
  label: string
}

type Known = Exclude<Status, 'unknown'>

export const checked = (
  base: Pick<ContractCheck, 'kind' | 'name' | 'promised' | 'dimension'>,
  status: Known,
  measured: string,
  reason: string,
  score?: number,
): ContractCheck => ({
  ...base,
  status,
  score: score ?? (status === 'ok' ? 100 : status === 'warn' ? 60 : 20),
  measured,
  reason,
  measurable: true,
})

/** A promise meshwatch can measure but has nothing observed for yet. */
export const notYet = (
  base: Pick<ContractCheck, 'kind' | 'name' | 'promised' | 'dimension'>,
  reason: string,
): ContractCheck => ({
  ...base,
  status: 'unknown',
  score: null,
  measured: null,
  reason: `not measured yet: ${reason}`,
  measurable: true,
})

/** A promise meshwatch cannot measure: listed with why. */
export const notMeasurable = (
  base: Pick<ContractCheck, 'kind' | 'name' | 'promised'>,
  reason: string,
): ContractCheck => ({
  ...base,
  dimension: null,
  status: 'unknown',
  score: null,
  measured: null,
  reason: `not measurable: ${reason}`,
  measurable: false,
})

/**
 * The product outputs a contract element (`orders.ordered_at`, or the schema object name) points
 * at; without an element, every bound output. `missing` names what is bound but not an output.
 */
export function outputsOf(
  ctx: CheckContext,
  element: string | undefined,
): { outputs: OutputFacts[]; missing: string[] } {
  const objectName = element?.split(',')[0]?.trim().split('.')[0]
  const objects = ctx.facts.objects.filter(
    (o) => objectName === undefined || o.object.toLowerCase() === objectName.toLowerCase(),
  )
  const outputs: OutputFacts[] = []
  const missing: string[] = []
  for (const o of objects) {
    const f = o.datasetId === null ? undefined : ctx.outputs.get(o.datasetId)
    if (f) outputs.push(f)
    else
      missing.push(
        o.datasetId === null
          ? `${o.object} is unbound (${o.reason ?? 'no dataset'})`
          : `${o.datasetName ?? o.object} is not an output of product ${ctx.product.id}`,
      )
  }
  return { outputs, missing }
}
