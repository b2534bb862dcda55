import type { ProductStandardFacts } from '../../db/queries/export.ts'
import { purposeOf, teamOf } from './team.ts'
import type { ContractRef } from './contract-of.ts'

/*
 * An ODPS v1.0.0 descriptor of a product as meshwatch knows it: one output port per output
 * dataset under the product's contract (stored, or the one meshwatch generates), one input port
 * per upstream product its producing jobs read, the domain's team, and the meshwatch API as an
 * observability management port. Spec: https://bitol-io.github.io/open-data-product-standard/
 */

export const ODPS_API_VERSION = 'v1.0.0'

export interface OdpsOptions {
  contractOf: (productId: string) => ContractRef
  /** Where the meshwatch API is (http://host:port); with it, a management port links the product. */
  baseUrl?: string | undefined
}

export function generateOdps(
  facts: ProductStandardFacts,
  opts: OdpsOptions,
): Record<string, unknown> {
  const { product, outputs, upstream } = facts
  const own = opts.contractOf(product.id)
  const api = opts.baseUrl?.replace(/\/+$/, '')
  const path = encodeURIComponent(product.id)
  return {
    apiVersion: ODPS_API_VERSION,
    kind: 'DataProduct',
    id: product.id,
    name: product.name,
    version: own.version,
    status: 'active',
    domain: product.domain,
    ...purposeOf(facts),
    ...(upstream.length > 0
      ? {
          inputPorts: upstream.map((u) => {
            const c = opts.contractOf(u.id)
            return { name: u.id, version: c.version, contractId: c.id }
          }),
        }
      : {}),
    outputPorts: outputs.map((d) => ({
      name: d.name,
      ...(d.description ? { description: d.description.trim() } : {}),
      type: d.namespace.startsWith('kafka://') ? 'topic' : 'tables',
      version: own.version,
      contractId: own.id,
      customProperties: [
        { property: 'namespace', value: d.namespace },
        ...(d.access ? [{ property: 'access', value: d.access }] : []),
      ],
    })),
    ...(api
      ? {
          managementPorts: [
            {
              name: 'meshwatch',
              content: 'observability',
              type: 'rest',
              url: `${api}/api/products/${path}`,
              description: 'score, status and effective SLA of the product in meshwatch',
            },
            {
              name: 'meshwatch-contract',
              content: 'dictionary',
              type: 'rest',
              url: `${api}/api/products/${path}/odcs`,
              description: 'the product’s ODCS data contract',
            },
          ],
        }
      : {}),
    ...teamOf(facts),
    customProperties: [{ property: 'meshwatchOrigin', value: product.origin }],
  }
}
