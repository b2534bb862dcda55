import type { ProductStandardFacts } from '../../db/queries/export.ts'

/** The product's owners as an ODCS/ODPS team: the product owner first, then the domain's. */
export function teamOf(facts: ProductStandardFacts): Record<string, unknown> {
  const { product, domain } = facts
  const owners = [...new Set([product.owner, domain?.owner].filter((o): o is string => !!o))]
  if (owners.length === 0) return {}
  return {
    team: {
      name: product.domain,
      members: owners.map((username, i) => ({
        username,
        role: i === 0 && product.owner ? 'owner' : 'domain owner',
      })),
    },
  }
}

/** `description.purpose`: the product's description, else its first output's. */
export function purposeOf(facts: ProductStandardFacts): Record<string, unknown> {
  const text =
    facts.product.description ?? facts.outputs.find((d) => d.description)?.description ?? undefined
  return text?.trim() ? { description: { purpose: text.trim() } } : {}
}
