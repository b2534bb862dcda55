import { stringify } from 'yaml'
import { schemaIssues } from '../../collectors/contracts/validate.ts'
import type { OdcsVersion } from '../../collectors/contracts/schema.ts'
import type { Store } from '../../db/store.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { effectiveSlaOf } from '../evaluate.ts'
import { contractRefOf, storedContractsByProduct } from './contract-of.ts'
import { generateOdcs, ODCS_API_VERSION } from './odcs.ts'
import { generateOdps } from './odps.ts'

export const STANDARD_FORMATS = ['yaml', 'json'] as const
export type StandardFormat = (typeof STANDARD_FORMATS)[number]

/** A document as a file: YAML (the standards' own examples are YAML) or pretty JSON. */
export const renderStandard = (doc: unknown, format: StandardFormat): string =>
  format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 })

/**
 * Checks a document meshwatch writes against the official schema: an invalid one is a bug in the
 * writer, so it is thrown, never served or written.
 */
function assertValid(doc: Record<string, unknown>, which: OdcsVersion | 'odps-v1.0.0'): void {
  const issues = schemaIssues(doc, which)
  if (issues.length > 0)
    throw new Error(
      `meshwatch wrote a document its ${which} schema refuses: ${issues
        .slice(0, 5)
        .map((i) => `${i.pointer || '$'}: ${i.message}`)
        .join('; ')}`,
    )
}

/** Writes the ODPS descriptors and ODCS contracts of the products of one store. */
export async function productStandards(
  store: Store,
  config: MeshwatchConfig,
  opts: { baseUrl?: string | undefined } = {},
) {
  const stored = await storedContractsByProduct(store)
  const contractOf = (id: string) => contractRefOf(stored, id)
  return {
    /** The ODPS v1.0.0 descriptor; undefined for an unknown product. */
    async odps(id: string): Promise<Record<string, unknown> | undefined> {
      const facts = await store.export.productStandardFacts(id)
      if (!facts) return undefined
      const doc = generateOdps(facts, { contractOf, baseUrl: opts.baseUrl })
      assertValid(doc, 'odps-v1.0.0')
      return doc
    },
    /**
     * The product's ODCS contract: the stored one bound to it as it was received, else one
     * generated (v3.1.0, status draft) from what meshwatch observes; undefined for an unknown product.
     */
    async odcs(
      id: string,
    ): Promise<{ document: Record<string, unknown>; source: 'stored' | 'generated' } | undefined> {
      const facts = await store.export.productStandardFacts(id)
      if (!facts) return undefined
      const ref = contractOf(id)
      if (ref.stored) return { document: ref.stored.document, source: 'stored' }
      const doc = generateOdcs(facts, effectiveSlaOf(config, facts.product))
      assertValid(doc, ODCS_API_VERSION)
      return { document: doc, source: 'generated' }
    },
  }
}
