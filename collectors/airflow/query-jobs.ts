/**
 * SQL hook lineage: the Airflow OpenLineage provider emits one child job per SQL statement a
 * task ran through a hook (jobType QUERY, integration AIRFLOW, parent = the task's run). Provider
 * 2.11–2.20 names it `<dag_id>.<task_id>.query.<n>`; 2.21 renamed it `<dag_id>.<task_id>.hll_query.<n>`
 * (changelog 2.21.0, "SQL hook lineage query job names", #73655). Both are one job here, under the
 * name all providers before 2.21 used, so upgrading the provider does not split a query's history.
 */
const HOOK_LINEAGE_QUERY = /^(.+)\.hll_query\.(\d+)$/

export function airflowQueryJobName(name: string): string {
  const m = HOOK_LINEAGE_QUERY.exec(name)
  return m ? `${m[1]}.query.${m[2]}` : name
}
