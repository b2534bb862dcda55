/** How a DAG's domain is found from its tags and owners. */
export type DomainMapping = {
  /** A tag `<prefix><name>` names the domain; default `domain:`. */
  tagPrefix?: string
  /** Tag → domain, checked before the prefix. */
  tags?: Record<string, string>
  /** Owner → domain, checked after tags. */
  owners?: Record<string, string>
  /** Fall back to the DAG's first owner as the domain; default true. */
  useOwner?: boolean
}

/** A mapping's own entry for `key` (never an Object.prototype member). */
const lookup = (map: Record<string, string> | undefined, key: string): string | undefined =>
  map && Object.hasOwn(map, key) ? map[key] : undefined

/** Airflow's placeholder owner (`default_args` without `owner`) names no domain. */
const DEFAULT_OWNER = 'airflow'

/**
 * The domain of a DAG: the first tag listed in `tags`, else the first tag with the prefix,
 * else an owner listed in `owners`, else the first owner (other than Airflow's default).
 */
export function domainOf(
  dag: { tags: string[]; owners: string[] },
  mapping: DomainMapping = {},
): string | undefined {
  for (const t of dag.tags) {
    const d = lookup(mapping.tags, t)
    if (d) return d
  }
  const prefix = mapping.tagPrefix ?? 'domain:'
  for (const t of dag.tags) {
    if (t.startsWith(prefix) && t.length > prefix.length) return t.slice(prefix.length)
  }
  for (const o of dag.owners) {
    const d = lookup(mapping.owners, o)
    if (d) return d
  }
  if (mapping.useOwner === false) return undefined
  return dag.owners.find((o) => o.length > 0 && o !== DEFAULT_OWNER)
}
