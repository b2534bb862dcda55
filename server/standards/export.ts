import type { Db } from '../../db/client.ts'
import { productIds } from '../../db/queries/export.ts'
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
export function exportStandards(
  db: Db,
  config: MeshwatchConfig,
  standard: Standard,
  opts: { format?: StandardFormat; baseUrl?: string | undefined } = {},
): StandardFile[] {
  const format = opts.format ?? 'yaml'
  const docs = productStandards(db, config, { baseUrl: opts.baseUrl })
  const out: StandardFile[] = []
  for (const id of productIds(db)) {
    if (standard === 'odps') {
      const doc = docs.odps(id)
      if (doc)
        out.push({
          productId: id,
          file: fileNameOf(id, standard, format),
          text: renderStandard(doc, format),
        })
      continue
    }
    const c = docs.odcs(id)
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
