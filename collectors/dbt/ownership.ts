import type { DbtExposure, DbtGroup, DbtNode, DbtOwner } from './schema.ts'

export type Meta = Record<string, unknown>

export type GroupInfo = { name: string; owner?: string; description?: string; meta: Meta }

export type Ownership = { domain: string; owner?: string; group?: GroupInfo }

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const nonEmpty = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined

/** A node's meta: `meta` merged with `config.meta` (where dbt ≥1.10 keeps it). */
export function metaOf(node: Pick<DbtNode, 'meta' | 'config'>): Meta {
  const config = node.config?.meta
  const top = node.meta
  if (!config || Object.keys(config).length === 0) return top ?? {}
  if (!top || Object.keys(top).length === 0) return config
  return { ...top, ...config }
}

/** An owner as text: a dbt owner object (name, else email), a string, or a list of strings. */
export function ownerText(owner: unknown): string | undefined {
  if (typeof owner === 'string') return nonEmpty(owner)
  if (Array.isArray(owner)) {
    const names = owner.filter((o): o is string => typeof o === 'string' && o.trim() !== '')
    return names.length ? names.join(', ') : undefined
  }
  if (isRecord(owner)) {
    const email = owner['email']
    return nonEmpty(owner['name']) ?? (Array.isArray(email) ? ownerText(email) : nonEmpty(email))
  }
  return undefined
}

export function toGroupInfo(group: DbtGroup): GroupInfo {
  const owner = ownerText(group.owner satisfies DbtOwner | null | undefined)
  const description = nonEmpty(group.description)
  return {
    name: group.name,
    meta: { ...group.meta, ...group.config?.meta },
    ...(owner ? { owner } : {}),
    ...(description ? { description } : {}),
  }
}

/**
 * Domain and owner of a node, lowest to highest precedence: the project (or, for a model of
 * another project, that project), the dbt group (its name, or its `meta.domain`) with the
 * group's owner, then the node's own `meta.domain` / `meta.owner` (top-level or config.meta).
 */
export function resolveOwnership(
  groupName: string | null | undefined,
  meta: Meta,
  defaultDomain: string,
  groups: ReadonlyMap<string, GroupInfo>,
): Ownership {
  let domain = defaultDomain
  let owner: string | undefined
  let group: GroupInfo | undefined
  if (groupName) {
    group = groups.get(groupName)
    domain = nonEmpty(group?.meta['domain']) ?? groupName
    owner = group?.owner ?? ownerText(group?.meta['owner'])
  }
  domain = nonEmpty(meta['domain']) ?? domain
  owner = ownerText(meta['owner']) ?? owner
  const out: Ownership = { domain }
  if (owner) out.owner = owner
  if (group) out.group = group
  return out
}

/** The SLA declared as `meta.meshwatch.sla` on the node, else on its group. */
export function slaOf(meta: Meta, group: GroupInfo | undefined): Meta | undefined {
  const pick = (m: Meta | undefined): Meta | undefined => {
    const mw = m?.['meshwatch']
    const sla = isRecord(mw) ? mw['sla'] : undefined
    return isRecord(sla) ? sla : undefined
  }
  return pick(meta) ?? pick(group?.meta)
}

export function exposureOwnership(
  exposure: DbtExposure,
  defaultDomain: string,
  groups: ReadonlyMap<string, GroupInfo>,
): Ownership & { meta: Meta } {
  const meta = { ...exposure.meta, ...exposure.config?.meta }
  const base = resolveOwnership(undefined, meta, defaultDomain, groups)
  const owner = ownerText(meta['owner']) ?? ownerText(exposure.owner)
  return { ...base, ...(owner ? { owner } : {}), meta }
}
