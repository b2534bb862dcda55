import { z } from 'zod'

/**
 * What the Airflow OpenLineage provider puts in its run facets that meshwatch reads: a DAG run's
 * partition (Airflow 3.2+, provider 2.14+) and its Deadline Alerts (provider 2.13+), under
 * `dagRun` of the `airflowDagRun` facet (DAG-run events) or the `airflow` facet (task events).
 * https://airflow.apache.org/docs/apache-airflow-providers-openlineage/stable/changelog.html
 */

const Alert = z.object({
  name: z.string().nullish(),
  description: z.string().nullish(),
  deadline_time: z.string().nullish(),
  missed: z.boolean().nullish(),
  reference: z.unknown().optional(),
  interval: z.unknown().optional(),
})
const DagRunInfo = z.object({
  dag_id: z.string().nullish(),
  run_id: z.string().nullish(),
  partition_key: z.string().nullish(),
  partition_date: z.string().nullish(),
  deadlines: z.object({ alerts: z.array(z.unknown()).nullish() }).nullish(),
})
const Holder = z.object({ dagRun: z.unknown().optional() })

export type DeadlineAlert = {
  name: string | undefined
  /** When the run had to be done by, as the provider wrote it. */
  deadlineTime: string | undefined
  missed: boolean
}

export type ProviderRunInfo = {
  dagId: string | undefined
  dagRunId: string | undefined
  partitionKey: string | undefined
  partitionDate: string | undefined
  deadlines: DeadlineAlert[]
}

const opt = (s: string | null | undefined) => s ?? undefined

/**
 * The provider's DAG-run information in one event's (or one stored run's) facets; undefined when
 * there is none. A malformed alert is skipped, never the rest.
 */
export function providerRunInfo(facets: unknown): ProviderRunInfo | undefined {
  if (typeof facets !== 'object' || facets === null) return undefined
  const f = facets as Record<string, unknown>
  for (const key of ['airflowDagRun', 'airflow']) {
    const holder = Holder.safeParse(f[key])
    if (!holder.success || holder.data.dagRun === undefined) continue
    const info = DagRunInfo.safeParse(holder.data.dagRun)
    if (!info.success) continue
    const d = info.data
    const deadlines: DeadlineAlert[] = []
    for (const raw of d.deadlines?.alerts ?? []) {
      const a = Alert.safeParse(raw)
      if (!a.success) continue
      deadlines.push({
        name: opt(a.data.name),
        deadlineTime: opt(a.data.deadline_time),
        missed: a.data.missed === true,
      })
    }
    return {
      dagId: opt(d.dag_id),
      dagRunId: opt(d.run_id),
      partitionKey: opt(d.partition_key),
      partitionDate: opt(d.partition_date),
      deadlines,
    }
  }
  return undefined
}

/** The Deadline Alerts a run missed, per the provider's facets. */
export const missedDeadlines = (facets: unknown): DeadlineAlert[] =>
  providerRunInfo(facets)?.deadlines.filter((d) => d.missed) ?? []
