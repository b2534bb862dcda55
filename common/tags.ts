// OpenLineage Tags facets (spec/facets/Tags{Job,Run,Dataset}Facet.json) as meshwatch lists tags:
// read by the collector (job and dataset tags) and by the stores and routes (a run's tags, kept in
// its facets).

type Tag = { key: string; value: string; source?: string | null | undefined }

/**
 * Tags facet entries → tags: a flag by its key — `value: "true"` as dbt's tags come, or the key
 * itself as the Airflow provider sends a DAG's tags — else `key:value`.
 */
export function tagList(tags: readonly Tag[] | null | undefined): string[] | undefined {
  if (!tags || tags.length === 0) return undefined
  const out = new Set<string>()
  for (const t of tags) {
    if (!t.key) continue
    const flag = t.value === 'true' || t.value === '' || t.value === t.key
    out.add((flag ? t.key : `${t.key}:${t.value}`).slice(0, 256))
    if (out.size === 256) break
  }
  return out.size > 0 ? [...out] : undefined
}

/**
 * A run's tags from the TagsRunFacet's `tags` array as stored in its facets (JSON text or parsed):
 * each a flag by its key or `key:value`, as the job's and the dataset's tags are read.
 */
export function storedRunTags(stored: unknown): string[] {
  let list = stored
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list) as unknown
    } catch {
      return []
    }
  }
  if (!Array.isArray(list)) return []
  const tags = list.flatMap((t: unknown) => {
    if (!t || typeof t !== 'object') return []
    const { key, value, source } = t as Record<string, unknown>
    if (typeof key !== 'string' || typeof value !== 'string') return []
    return [{ key, value, source: typeof source === 'string' ? source : undefined }]
  })
  return tagList(tags) ?? []
}

/** The tags of a run's facets (TagsRunFacet), as storedRunTags reads them. */
export const runTagsOf = (facets: Record<string, unknown> | null | undefined): string[] =>
  storedRunTags((facets?.['tags'] as { tags?: unknown } | undefined)?.tags)
