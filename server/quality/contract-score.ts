import { OdcsSchema, type Odcs } from '../../collectors/contracts/schema.ts'
import type { Status } from '../../common/vocab.ts'
import type { CheckContext, ContractCheck } from './contract-check.ts'
import { checkQuality } from './contract-quality.ts'
import { checkSchema } from './contract-schema.ts'
import { checkSlaProperties, contractSlaLayer } from './contract-sla.ts'
import type { ContractFacts, OutputFacts, ProductFacts } from './facts.ts'
import { worst } from './facts.ts'
import { withContractLayer, type EffectiveSla } from './sla.ts'

/** A product's contract as scored now: every promise with its measurement, status and reason. */
export interface ContractEvaluation {
  contractId: string
  version: string
  /** The contract's own lifecycle status (active, draft, deprecated…). */
  contractStatus: string
  sourceFile: string | null
  contentHash: string
  /** The worst status of its checks (unknown when none could be judged). */
  status: Status
  checks: ContractCheck[]
  /** How many promises meshwatch cannot measure (listed among the checks). */
  notMeasurable: number
}

const parsed = new Map<string, Odcs | null>()

/** The typed contract of stored facts (validated when stored); parsed once per content hash. */
export function contractOf(f: ContractFacts): Odcs | undefined {
  let c = parsed.get(f.contentHash)
  if (c === undefined) {
    const r = OdcsSchema.safeParse(f.document)
    c = r.success ? r.data : null
    if (parsed.size > 10_000) parsed.clear()
    parsed.set(f.contentHash, c)
  }
  return c ?? undefined
}

export const labelOf = (f: Pick<ContractFacts, 'contractId' | 'version'>): string =>
  `contract ${f.contractId} v${f.version}`

/**
 * The SLA with the product's contract layer added (the first contract by id when there are
 * several; the others are still checked), as resolveSla orders it.
 */
export function slaWithContract(product: ProductFacts, sla: EffectiveSla): EffectiveSla {
  const first = product.contracts?.[0]
  const c = first ? contractOf(first) : undefined
  if (!first || !c) return sla
  return withContractLayer(sla, { sla: contractSlaLayer(c), label: labelOf(first) })
}

/** Every contract of the product checked at `now` against the (contract-aware) effective SLA. */
export function scoreContracts(
  product: ProductFacts,
  sla: EffectiveSla,
  now: Date,
): ContractEvaluation[] {
  const outputs = new Map<number, OutputFacts>(product.outputs.map((o) => [o.id, o]))
  const out: ContractEvaluation[] = []
  for (const facts of product.contracts ?? []) {
    const contract = contractOf(facts)
    const base = {
      contractId: facts.contractId,
      version: facts.version,
      contractStatus: facts.status,
      sourceFile: facts.sourceFile,
      contentHash: facts.contentHash,
    }
    if (!contract) {
      out.push({ ...base, status: 'unknown', checks: [], notMeasurable: 0 })
      continue
    }
    const ctx: CheckContext = { contract, facts, product, outputs, now, label: labelOf(facts) }
    const checks = [...checkSlaProperties(ctx, sla), ...checkQuality(ctx), ...checkSchema(ctx, sla)]
    out.push({
      ...base,
      status: worst(...checks.map((c) => c.status)),
      checks,
      notMeasurable: checks.filter((c) => !c.measurable).length,
    })
  }
  return out
}

/** Checks that count in a dimension as verdicts of their own (not through an SLA value). */
export const foldable = (c: ContractCheck): boolean =>
  c.dimension !== null && c.status !== 'unknown' && c.scoredBy === undefined
