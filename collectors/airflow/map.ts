import {
  emptyBatch,
  refKey,
  type Batch,
  type Dataset,
  type Edge,
  type Job,
  type Ref,
} from '../batch.ts'
import { assetRef, tableOf } from './assets.ts'
import { linkDbt } from './cosmos.ts'
import { domainOf, type DomainMapping } from './domain.ts'
import { mapRuns } from './runs.ts'
import { toSchedule } from './schedule.ts'
import type {
  AfAsset,
  AfAssetEvent,
  AfDag,
  AfDagRun,
  AfImportError,
  AfTask,
  AfTaskInstance,
} from './schema.ts'

/** Everything one poll read from Airflow, already version-free. */
export type AirflowSnapshot = {
  scope: string
  dags: { dag: AfDag; timezone: string | undefined; tasks: AfTask[] }[]
  runs: AfDagRun[]
  taskInstances: AfTaskInstance[]
  assets: AfAsset[]
  assetEvents: AfAssetEvent[]
  importErrors: AfImportError[]
}

export type MapOptions = {
  /** The Airflow OpenLineage provider's OPENLINEAGE_NAMESPACE; default `default`. */
  namespace?: string | undefined
  domainMapping?: DomainMapping | undefined
  /** Known dbt model names: when given, tasks are linked only to these. */
  dbtModels?: string[] | undefined
  /** Explicit task → dbt models, keyed by `dag_id.task_id`. */
  dbtTaskModels?: Record<string, string[]> | undefined
  producedAt?: string | undefined
}

export const taskJobName = (dagId: string, taskId: string) => `${dagId}.${taskId}`

/** Maps one poll's Airflow responses to a batch: DAGs and tasks as jobs, runs, asset lineage. */
export function mapAirflow(snap: AirflowSnapshot, opts: MapOptions = {}): Batch {
  const ns = opts.namespace ?? 'default'
  const batch = emptyBatch('airflow', snap.scope)
  batch.replaceEdges = true
  if (opts.producedAt) batch.producedAt = opts.producedAt
  const dagRef = (dagId: string): Ref => ({ namespace: ns, name: dagId })
  const taskRef = (dagId: string, taskId: string): Ref => ({
    namespace: ns,
    name: taskJobName(dagId, taskId),
  })
  const edges = new Map<string, Edge>()
  const addEdge = (job: Ref, dataset: Ref, direction: Edge['direction']) =>
    edges.set(`${refKey(job)}\u0000${refKey(dataset)}\u0000${direction}`, {
      job,
      dataset,
      direction,
    })

  const domains = new Map<string, string | undefined>()
  for (const { dag } of snap.dags) domains.set(dag.dagId, domainOf(dag, opts.domainMapping))

  const datasets = new Map<string, Dataset>()
  const byUri = new Map<string, Ref>()
  const outletTables = new Map<string, string[]>()
  const outletUris = new Map<string, string[]>()
  for (const asset of snap.assets) {
    const ref = assetRef(asset.uri)
    if (!ref) {
      batch.warnings.push(`asset ${asset.uri}: not a URI, skipped`)
      continue
    }
    byUri.set(asset.uri, ref)
    const producer = asset.producers[0]
    const domain = producer && domains.get(producer.dagId)
    datasets.set(refKey(ref), {
      ...ref,
      kind: 'asset',
      externalId: asset.uri,
      ...(asset.name && asset.name !== asset.uri ? { description: asset.name } : {}),
      ...(domain ? { domain } : {}),
    })
    for (const p of asset.producers) {
      addEdge(taskRef(p.dagId, p.taskId), ref, 'output')
      const key = taskJobName(p.dagId, p.taskId)
      outletTables.set(key, [...(outletTables.get(key) ?? []), tableOf(ref)])
      outletUris.set(key, [...(outletUris.get(key) ?? []), asset.uri])
    }
    for (const dagId of asset.consumers) addEdge(dagRef(dagId), ref, 'input')
  }
  for (const [uri, latest] of latestPartitions(snap.assetEvents)) {
    const ref = byUri.get(uri)
    const ds = ref && datasets.get(refKey(ref))
    if (ds) ds.meta = { partitioned: true, latestPartition: latest }
  }
  batch.datasets = [...datasets.values()]
  addEventEdges(snap.assetEvents, byUri, { dagRef, taskRef, addEdge })

  const rendered = new Map<string, Record<string, unknown>>()
  for (const ti of snap.taskInstances) {
    if (ti.renderedFields && Object.keys(ti.renderedFields).length > 0) {
      rendered.set(taskJobName(ti.dagId, ti.taskId), ti.renderedFields)
    }
  }
  const known = opts.dbtModels && new Set(opts.dbtModels)
  const tablesToDatasets = new Map<string, Ref[]>()
  for (const d of datasets.values()) {
    const t = tableOf(d)
    tablesToDatasets.set(t, [
      ...(tablesToDatasets.get(t) ?? []),
      { namespace: d.namespace, name: d.name },
    ])
  }

  for (const { dag, timezone, tasks } of snap.dags) {
    const domain = domains.get(dag.dagId)
    const owner = dag.owners.join(', ') || undefined
    batch.jobs.push({
      ...dagRef(dag.dagId),
      type: 'airflow_dag',
      ...(domain ? { domain } : {}),
      ...(owner ? { owner } : {}),
      ...(dag.description ? { description: dag.description } : {}),
      schedule: toSchedule(
        {
          summary: dag.scheduleSummary,
          description: dag.timetableDescription,
          timezone,
          nextRunAt: dag.nextRunAt,
          paused: dag.paused,
        },
        (msg) => batch.warnings.push(`DAG ${dag.dagId}: ${msg}`),
      ),
      meta: {
        tags: dag.tags,
        stale: dag.stale,
        ...(dag.fileloc ? { fileloc: dag.fileloc } : {}),
        ...(dag.partitioned ? { partitioned: true } : {}),
      },
      externalId: dag.dagId,
    })
    for (const task of tasks) {
      const name = taskJobName(dag.dagId, task.taskId)
      const link = linkDbt({
        taskId: task.taskId,
        operator: task.operator,
        rendered: rendered.get(name),
        outletTables: outletTables.get(name) ?? [],
        known,
        explicit:
          opts.dbtTaskModels && Object.hasOwn(opts.dbtTaskModels, name)
            ? opts.dbtTaskModels[name]
            : undefined,
      })
      const job: Job = {
        ...taskRef(dag.dagId, task.taskId),
        type: 'airflow_task',
        parent: dagRef(dag.dagId),
        ...(domain ? { domain } : {}),
        ...((task.owner ?? owner) ? { owner: task.owner ?? owner } : {}),
        meta: {
          ...(task.operator ? { operator: task.operator } : {}),
          downstreamTaskIds: task.downstream,
          ...(outletUris.has(name) ? { outlets: outletUris.get(name) } : {}),
          ...(link.models.length ? { dbtModels: link.models } : {}),
          ...(link.sources.length ? { dbtSources: link.sources } : {}),
          ...(link.commands.length ? { dbtCommands: link.commands } : {}),
        },
        externalId: name,
      }
      batch.jobs.push(job)
      const builds = link.commands.length === 0 || link.commands.some((c) => c !== 'test')
      if (!builds) continue
      for (const model of link.models) {
        for (const ds of tablesToDatasets.get(model.toLowerCase()) ?? []) {
          addEdge(taskRef(dag.dagId, task.taskId), ds, 'output')
        }
      }
    }
  }

  batch.runs = mapRuns(snap.runs, snap.taskInstances, { dagRef, taskRef })
  batch.edges = [...edges.values()]
  batch.domains = [...new Set([...domains.values()].filter((d) => d !== undefined))]
    .sort()
    .map((name) => ({ name }))
  for (const e of snap.importErrors) batch.warnings.push(importWarning(e))
  return batch
}

type Refs = {
  dagRef: (dagId: string) => Ref
  taskRef: (dagId: string, taskId: string) => Ref
}

function addEventEdges(
  events: AfAssetEvent[],
  byUri: Map<string, Ref>,
  refs: Refs & { addEdge: (job: Ref, ds: Ref, dir: Edge['direction']) => void },
) {
  for (const ev of events) {
    const ref = ev.uri ? byUri.get(ev.uri) : undefined
    if (!ref) continue
    if (ev.sourceDagId && ev.sourceTaskId) {
      refs.addEdge(refs.taskRef(ev.sourceDagId, ev.sourceTaskId), ref, 'output')
    }
    for (const t of ev.triggered) refs.addEdge(refs.dagRef(t.dagId), ref, 'input')
  }
}

/** Per asset URI, the partition key of its newest event that has one (Airflow 3.2+). */
function latestPartitions(events: AfAssetEvent[]): Map<string, { key: string; at: string }> {
  const out = new Map<string, { key: string; at: string }>()
  for (const ev of events) {
    if (!ev.uri || ev.partitionKey === undefined) continue
    const seen = out.get(ev.uri)
    if (!seen || ev.timestamp > seen.at) out.set(ev.uri, { key: ev.partitionKey, at: ev.timestamp })
  }
  return out
}

function importWarning(e: AfImportError): string {
  const lines = (e.stackTrace ?? '').split('\n').filter((l) => l.trim().length > 0)
  return `Airflow import error in ${e.filename ?? 'an unknown file'}: ${lines.at(-1)?.trim() ?? 'no detail'}`
}
