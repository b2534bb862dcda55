// The header search box's model (pure): what each hit of /api/search opens, its group's heading, and
// which option the arrow keys move to.
import type { SearchAnswer } from './api.ts'
import { domainHref, jobRunsHref, lineageHref, productHref } from './model.ts'

export type SearchGroupIn = SearchAnswer['groups'][number]
export type SearchHitIn = SearchGroupIn['hits'][number]

export const KIND_LABEL: Record<SearchHitIn['kind'], string> = {
  product: 'Products',
  domain: 'Domains',
  owner: 'Owners',
  dataset: 'Datasets',
  column: 'Columns',
  dag: 'DAGs',
  job: 'Jobs',
}

/** The page a hit opens: a product or domain page, a dataset's or job's lineage, a DAG's runs. */
export function hitHref(hit: SearchHitIn): string {
  switch (hit.kind) {
    case 'product':
      return productHref(hit.id)
    case 'domain':
      return domainHref(hit.id)
    case 'owner':
      return domainHref(hit.target ?? hit.domain ?? hit.name)
    case 'dataset':
      return lineageHref(`dataset:${hit.id}`)
    case 'column':
      return `${lineageHref(`dataset:${hit.target ?? hit.id.split('.')[0]}`)}&level=column`
    case 'dag':
      return jobRunsHref(Number(hit.id))
    case 'job':
      return lineageHref(`job:${hit.id}`)
  }
}

/** The option after `current` by `step` (±1), wrapping; -1 (none) moves to the first or the last. */
export function moveActive(current: number, step: 1 | -1, count: number): number {
  if (count === 0) return -1
  if (current < 0) return step === 1 ? 0 : count - 1
  return (current + step + count) % count
}

const JOB_TYPE: Record<string, string> = {
  dbt_model: 'dbt model',
  dbt_test: 'dbt test',
  airflow_task: 'Airflow task',
  airflow_dag: 'Airflow DAG',
}

/** The second line of an option: what tells two hits of one name apart. */
export function hitDetail(hit: SearchHitIn): string {
  const detail =
    hit.kind === 'job' && hit.detail
      ? (JOB_TYPE[hit.detail] ?? hit.detail.replace(/_/g, ' '))
      : hit.detail
  const parts = [hit.domain && hit.kind !== 'domain' ? hit.domain : null, detail]
  return parts.filter((p): p is string => !!p && p !== hit.name).join(' · ')
}
