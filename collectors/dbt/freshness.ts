import { z } from 'zod'
import type { Batch } from '../batch.ts'
import { firstIssue, normalizeTime } from './envelope.ts'
import type { Graph } from './graph.ts'
import { FreshnessResultSchema, type ArtifactMetadata, type DbtNode } from './schema.ts'

type FreshnessData = { metadata: ArtifactMetadata; results: unknown[] }

/**
 * sources.json (`dbt source freshness`) or freshness.json (dbt Fusion `dbt freshness`, models
 * and sources) → a freshness_age_seconds metric per node. Fusion writes statuses capitalized.
 */
export function addFreshness(
  batch: Batch,
  data: FreshnessData,
  file: string,
  graph: Graph,
  kinds: readonly string[],
): void {
  const generatedAt = normalizeTime(data.metadata.generated_at)
  const seen = new Set<string>()
  for (const [i, raw] of data.results.entries()) {
    const parsed = FreshnessResultSchema.safeParse(raw)
    if (!parsed.success) {
      batch.warnings.push(`${file}: skipped results[${i}]: ${firstIssue(parsed.error)}`)
      continue
    }
    const r = parsed.data
    seen.add(r.unique_id)
    const source = graph.datasets.get(r.unique_id)
    if (!source) {
      batch.warnings.push(`${file}: skipped ${r.unique_id}: not a table of the manifest`)
      continue
    }
    const result = r.status.toLowerCase()
    const age = r.max_loaded_at_time_ago_in_s
    const observedAt = normalizeTime(r.snapshotted_at) ?? generatedAt
    if (result === 'runtime error' || age == null || !Number.isFinite(age) || !observedAt) {
      const why = r.error != null ? String(r.error) : `status '${r.status}'`
      batch.warnings.push(`${file}: no freshness for ${r.unique_id}: ${why}`)
      continue
    }
    const status = result === 'pass' || result === 'warn' || result === 'error' ? result : undefined
    batch.metrics.push({
      dataset: source.ref,
      name: 'freshness_age_seconds',
      value: age,
      observedAt,
      detail: JSON.stringify({ max_loaded_at: r.max_loaded_at, criteria: r.criteria ?? null }),
      ...(status ? { status } : {}),
    })
  }
  // dbt 1.11 and dbt Fusion leave a node out when its freshness query fails
  const missing = [...graph.datasets.values()].filter(
    (ds) =>
      !ds.foreign &&
      kinds.includes(ds.kind) &&
      hasCriteria(ds.node) &&
      !seen.has(ds.node.unique_id),
  )
  if (missing.length > 0) {
    batch.warnings.push(
      `${file}: no freshness result for ${missing.length} node(s) with freshness criteria (${missing
        .slice(0, 5)
        .map((ds) => ds.node.unique_id)
        .join(
          ', ',
        )}${missing.length > 5 ? ', …' : ''}): their check errored or was not selected, so their freshness is unknown`,
    )
  }
}

const CriteriaSchema = z.object({
  warn_after: z.object({ count: z.number() }).nullish(),
  error_after: z.object({ count: z.number() }).nullish(),
})

/** A node whose freshness dbt checks: warn_after or error_after with a count, top-level or under config. */
function hasCriteria(node: DbtNode): boolean {
  return [node.freshness, node.config?.freshness].some((raw) => {
    const c = CriteriaSchema.safeParse(raw)
    return c.success && (c.data.warn_after?.count != null || c.data.error_after?.count != null)
  })
}
