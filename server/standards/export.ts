import type { Store } from '../../db/store.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { productStandards, renderStandard, type StandardFormat } from './documents.ts'

export const STANDARDS = ['odps', 'odcs'] as const
export type Standard = (typeof STANDARDS)[number]

export interface StandardFile {
  productId: string
  /** `<product id>.odps.yaml`, safe as a file name. */
  file: string
  text: string
  /** odcs: whether the contract is the stored one or generated. */
  source?: 'stored' | 'generated'
}

/** A product id as a file name: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export const fileNameOf = (productId: string, standard: Standard, format: StandardFormat) =>
  `${productId.replace(/[^A-Za-z0-9._-]/g, '_')}.${standard}.${format}`

/**
 * One ODPS descriptor or ODCS contract per product of the store, every one rendered (and checked
 * against its schema) before the caller writes any. Products without outputs have no ODCS contract.
 */
export async function exportStandards(
  store: Store,
  config: MeshwatchConfig,
  standard: Standard,
  opts: { format?: StandardFormat; baseUrl?: string | undefined } = {},
): Promise<StandardFile[]> {
  const format = opts.format ?? 'yaml'
  const docs = await productStandards(store, config, { baseUrl: opts.baseUrl })
  const out: StandardFile[] = []
  for (const id of await store.export.productIds()) {
    if (standard === 'odps') {
      const doc = await docs.odps(id)
      if (doc)
        out.push({
          productId: id,
          file: fileNameOf(id, standard, format),
          text: renderStandard(doc, format),
        })
      continue
    }
    const c = await docs.odcs(id)
    const empty = c?.source === 'generated' && (c.document.schema as unknown[]).length === 0
    if (c && !empty)
      out.push({
        productId: id,
        file: fileNameOf(id, standard, format),
        text: renderStandard(c.document, format),
        source: c.source,
      })
  }
  return out
}
