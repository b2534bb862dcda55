import type { Batch, ColumnEdge, Dataset, Job, Product, Ref } from '../batch.ts'
import { SECRET_KEY } from '../../common/secrets.ts'
import { refKey, UNPLACED_TEST } from '../batch.ts'
import { addMeta, dropEmpty, isWarnSeverity } from './facets.ts'
import type { OlWarning } from './parse.ts'
import type { LineageInput, OlInputDataset, OlOutputDataset, RunEvent } from './schema.ts'

const ACCESS = ['public', 'protected', 'private'] as const

type Observation = { observedAt: string; runId?: string | undefined }
const ref = (d: { namespace: string; name: string }): Ref => ({
  namespace: d.namespace,
  name: d.name,
})

/** dbt's test name from its unique id: `test.<package>.<name>[.<hash>]` → `<name>`. */
export function dbtTestName(id: string): string {
  const m = /^test\.[^.]+\.(.+?)(?:\.[0-9a-f]{10})?$/.exec(id)
  return m?.[1] ?? id
}

/**
 * TestRunFacet → one result per test on each dataset the run read (the tested datasets, as
 * dbt-ol lists them). Its status is the outcome and severity separate: a failed test of severity
 * warn is a warning, as dbt reports it. A dbt test is named as dbt names it, so its results
 * land on the test collect dbt knows. Without an input there is no dataset to put it on: a warning.
 */
export function pushTestResults(
  batch: Batch,
  e: RunEvent,
  obs: Observation,
  warnings: OlWarning[],
): void {
  const tests = e.run.facets?.test?.tests
  if (!tests || tests.length === 0) return
  const given = e.inputs ?? []
  if (given.length === 0) {
    warnings.push({
      path: '$.run.facets.test',
      message: `${tests.length} test result(s) name no tested dataset (the event has no inputs): kept on the dbt test of that id if collect dbt knows it`,
    })
  }
  tests.forEach((t, i) => {
    const inputs = given.length > 0 ? given : [{ namespace: UNPLACED_TEST, name: t.name }]
    const name = dbtTestName(t.name).slice(0, 4096)
    const warn = isWarnSeverity(t.severity)
    const status = testStatus(t.status, warn)
    if (!status) {
      warnings.push({
        path: `$.run.facets.test.tests[${i}].status`,
        message: `unknown test status ${JSON.stringify(t.status.slice(0, 64))}: read as error`,
      })
    }
    const failures = t.actual && /^\d+$/.test(t.actual) ? Number(t.actual) : undefined
    for (const ds of inputs) {
      const a: Batch['assertions'][number] = {
        key: `openlineage:${ds.namespace}:${ds.name}:${name}`.slice(0, 4096),
        dataset: ref(ds),
        name,
        status: status ?? 'error',
        severity: warn ? 'warn' : 'error',
        observedAt: obs.observedAt,
        origin: 'openlineage',
      }
      if (failures !== undefined && Number.isSafeInteger(failures)) a.failures = failures
      const message =
        t.description ?? (t.expected ? `expected ${t.expected}, got ${t.actual ?? '?'}` : undefined)
      if (message) a.message = message.slice(0, 65536)
      if (obs.runId) a.runId = obs.runId
      batch.assertions.push(a)
    }
  })
}

function testStatus(
  status: string,
  warn: boolean,
): Batch['assertions'][number]['status'] | undefined {
  switch (status.toLowerCase()) {
    case 'pass':
    case 'success':
      return 'pass'
    case 'fail':
    case 'failure':
      return warn ? 'warn' : 'fail'
    case 'warn':
      return 'warn'
    case 'error':
      return 'error'
    case 'skip':
    case 'skipped':
      return 'skipped'
    default:
      return undefined
  }
}

/** The run's tags of one source (dbt-ol sends a model's meta as tags of source DBT_META). */
function tagsFrom(e: RunEvent, source: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const t of e.run.facets?.tags?.tags ?? [])
    if (t.source === source && t.key) out.set(t.key, t.value)
  return out
}

/** A meta value dbt-ol sent as text: a string as is, anything else as JSON. */
function metaValue(text: string | undefined): unknown {
  if (text === undefined) return undefined
  if (!/^[[{]/.test(text)) return text
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

function ownerText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const s =
      typeof o.name === 'string' ? o.name : typeof o.email === 'string' ? o.email : undefined
    return s?.trim() || undefined
  }
  return undefined
}

/**
 * A dbt model's outputs (those with dbt-ol's dbt_model facet), owned as collect dbt owns them:
 * domain from the model's meta.domain (sent as a DBT_META run tag), else its group, else the dbt
 * project; owner from meta.owner, else the config's owner; dbt tags as the dataset's tags. A public
 * model is a data product ('dbt_public', named as collect dbt names it), and so is a
 * meta.data_product ('dbt_meta', one output per event: the store adds each model to it), with
 * the SLA declared in meta.meshwatch.sla.
 */
export function applyDbtModel(
  batch: Batch,
  e: RunEvent,
  jobName: string,
  warnings: OlWarning[],
): void {
  if (e.job.facets?.jobType?.jobType?.toUpperCase() === 'TEST') return
  const outputs = (e.outputs ?? []).filter((o) => o.facets?.dbt_model)
  if (outputs.length === 0) return
  const meta = tagsFrom(e, 'DBT_META')
  const dbtTags = [...tagsFrom(e, 'DBT').keys()]
  const project = e.run.facets?.['dbt_run']
  const projectName =
    project &&
    typeof project === 'object' &&
    typeof (project as Record<string, unknown>).project_name === 'string'
      ? ((project as Record<string, unknown>).project_name as string)
      : undefined
  const metaDomain = ownerText(metaValue(meta.get('domain')))
  const metaOwner = ownerText(metaValue(meta.get('owner')))
  const dataProduct = ownerText(metaValue(meta.get('data_product')))
  const meshwatch = metaValue(meta.get('meshwatch'))
  const sla =
    meshwatch && typeof meshwatch === 'object'
      ? (meshwatch as Record<string, unknown>).sla
      : undefined
  for (const o of outputs) {
    const ds = lastDataset(batch, o)
    const config = o.facets?.dbt_model?.config
    if (!ds) continue
    // Only the model the job builds: an input's dbt_model facet may be a consumer manifest's
    // copy of another project's model (dbt-loom), not what that project says.
    // An ephemeral model is a CTE dbt inlines into the models that select from it: dbt-ol still
    // names an output relation for it (structured-logs mode), which the warehouse does not have.
    const ephemeral = config?.materialized?.toLowerCase() === 'ephemeral'
    const materialized = config?.materialized?.toLowerCase()
    ds.kind = ephemeral ? 'ephemeral' : materialized === 'seed' ? 'seed' : 'model'
    if (ephemeral)
      warnings.push({
        path: `$.outputs[${(e.outputs ?? []).indexOf(o)}]`,
        message: `${o.namespace} ${o.name} is an ephemeral dbt model (a CTE inlined where it is selected; no relation is built): recorded with kind ephemeral`,
      })
    const access = ACCESS.find((a) => a === config?.access?.toLowerCase())
    if (access) ds.access = access
    if (config?.owner) ds.owner = config.owner.slice(0, 512)
    if (config)
      addMeta(ds, 'dbt', dropEmpty({ materialized: config.materialized, group: config.group }))
    const domain = metaDomain ?? config?.group ?? projectName
    if (domain) ds.domain = domain.slice(0, 4096)
    const owner = metaOwner ?? ds.owner
    if (owner) ds.owner = owner.slice(0, 512)
    if (dbtTags.length > 0 && !ds.tags) ds.tags = dbtTags.slice(0, 256).map((t) => t.slice(0, 256))
    if (!ds.domain || (ds.access !== 'public' && !dataProduct)) continue
    const name = dataProduct ?? modelName(jobName)
    const origin = dataProduct ? 'dbt_meta' : 'dbt_public'
    const product: Product = {
      id: `${ds.domain}.${name}`,
      name,
      domain: ds.domain,
      origin,
      outputs: [ref(ds)],
    }
    if (ds.owner) product.owner = ds.owner
    if (ds.description && !dataProduct) product.description = ds.description
    if (sla && typeof sla === 'object' && !Array.isArray(sla))
      product.sla = sla as Record<string, unknown>
    batch.products.push(product)
  }
}

function lastDataset(batch: Batch, r: Ref): Dataset | undefined {
  const k = refKey(r)
  for (let i = batch.datasets.length - 1; i >= 0; i--) {
    const d = batch.datasets[i]
    if (d && refKey(d) === k) return d
  }
  return undefined
}

/** The dbt model's name from its job (`db.schema.pkg.model`, `model.pkg.model[.v2]`). */
function modelName(job: string): string {
  const parts = job.split('.')
  const last = parts.at(-1) ?? job
  return /^v\d+$/.test(last) && parts.length > 1 ? `${parts.at(-2)}.${last}` : last
}

/** JobDependenciesRunFacet → the job's upstreamJobs / downstreamJobs meta, and those jobs. */
export function applyJobDependencies(batch: Batch, e: RunEvent, self: Job): void {
  const f = e.run.facets?.jobDependencies
  if (!f) return
  const up = (f.upstream ?? []).map((d) => ref(d.job))
  const down = (f.downstream ?? []).map((d) => ref(d.job))
  if (up.length > 0) self.meta = { ...self.meta, upstreamJobs: up.slice(0, 256) }
  if (down.length > 0) self.meta = { ...self.meta, downstreamJobs: down.slice(0, 256) }
  for (const j of [...up, ...down]) batch.jobs.push({ ...j, type: 'job' })
}

/**
 * The experimental LineageFacet (spec/facets/LineageFacet.json): explicit edges instead of every
 * input × every output. On the job, each DATASET entry is written by the job from its DATASET
 * inputs (or by the JOB inputs named), each JOB entry (the event's job when unnamed) reads its
 * DATASET inputs and runs after its JOB inputs; entry fields are column lineage. On a dataset, its
 * inputs are what the job read to make it. Returns whether the job's facet replaced inputs × outputs.
 */
export function applyLineageFacet(
  batch: Batch,
  job: Ref | undefined,
  selfJob: Job | undefined,
  e: {
    job?: RunEvent['job']
    inputs?: OlInputDataset[] | null | undefined
    outputs?: OlOutputDataset[] | null | undefined
  },
  warnings: OlWarning[],
): boolean {
  const seen = new Set(batch.datasets.map(refKey))
  const addDataset = (r: Ref) => {
    if (seen.has(refKey(r))) return
    seen.add(refKey(r))
    batch.datasets.push(ref(r))
  }
  const edge = (j: Ref, d: Ref, direction: 'input' | 'output') => {
    addDataset(d)
    batch.edges.push({ job: ref(j), dataset: ref(d), direction })
  }
  const named = (i: LineageInput): Ref | undefined =>
    i.namespace && i.name ? { namespace: i.namespace, name: i.name } : undefined
  const upstream = new Map<string, Ref[]>()
  const after = (j: Ref, x: Ref) => {
    const k = refKey(j)
    upstream.set(k, [...(upstream.get(k) ?? []), ref(x)])
    batch.jobs.push({ ...ref(x), type: 'job' })
  }
  const columns = (
    d: Ref,
    fields: Record<string, { inputs: LineageInput[] }> | null | undefined,
  ) => {
    for (const [column, f] of Object.entries(fields ?? {})) {
      if (!column) continue
      for (const i of f.inputs) {
        const from = named(i)
        if (i.type !== 'DATASET' || !from || !i.field) continue
        addDataset(from)
        const c: ColumnEdge = { dataset: ref(d), column, from, fromColumn: i.field }
        const t = i.transformations?.[0]
        if (t) c.transformation = (t.subtype ? `${t.type}/${t.subtype}` : t.type).slice(0, 1024)
        batch.columnEdges.push(c)
      }
    }
  }
  const entries = e.job?.facets?.lineage?.entries
  entries?.forEach((entry, n) => {
    const target = named({ ...entry, type: entry.type })
    if (entry.type === 'DATASET') {
      if (!target) {
        warnings.push({
          path: `$.job.facets.lineage.entries[${n}]`,
          message: 'a DATASET entry needs namespace and name: skipped',
        })
        return
      }
      addDataset(target)
      for (const i of entry.inputs ?? []) {
        const from = named(i)
        if (i.type === 'DATASET' && from && job) {
          edge(job, from, 'input')
          edge(job, target, 'output')
        } else if (i.type === 'JOB') {
          const writer = from ?? job
          if (writer) {
            if (from) batch.jobs.push({ ...from, type: 'job' })
            edge(writer, target, 'output')
          }
        }
      }
      if ((entry.inputs ?? []).length === 0 && job) edge(job, target, 'output')
      columns(target, entry.fields)
      return
    }
    const runner = target ?? job
    if (!runner) return
    if (target) batch.jobs.push({ ...target, type: 'job' })
    for (const i of entry.inputs ?? []) {
      const from = named(i)
      if (!from) continue
      if (i.type === 'DATASET') edge(runner, from, 'input')
      else after(runner, from)
    }
  })
  for (const [side, list] of [
    ['inputs', e.inputs],
    ['outputs', e.outputs],
  ] as const) {
    list?.forEach((ds) => {
      const f = ds.facets?.lineage
      if (!f) return
      for (const i of f.inputs ?? []) {
        const from = named(i)
        if (!from) continue
        if (i.type === 'DATASET' && job) {
          edge(job, from, 'input')
          if (side === 'outputs') edge(job, ds, 'output')
        } else if (i.type === 'DATASET') {
          addDataset(from)
          warnings.push({
            path: `$.dataset.facets.lineage`,
            message: `${from.namespace} ${from.name} → ${ds.namespace} ${ds.name}: a dataset-to-dataset edge needs a job to carry it; only its column lineage is kept`,
          })
        } else if (i.type === 'JOB') {
          batch.jobs.push({ ...from, type: 'job' })
          edge(from, ds, 'output')
        }
      }
      columns(ds, f.fields)
    })
  }
  for (const [k, ups] of upstream) {
    const j =
      batch.jobs.find((x) => refKey(x) === k && x === selfJob) ??
      batch.jobs.find((x) => refKey(x) === k)
    if (j)
      j.meta = {
        ...j.meta,
        upstreamJobs: [...((j.meta?.upstreamJobs as Ref[] | undefined) ?? []), ...ups].slice(
          0,
          256,
        ),
      }
  }
  return entries !== undefined && entries.length > 0
}

/** One parameter a job was run with (ExecutionParametersRunFacet), its value as text. */
export type ExecutionParameter = {
  key: string
  name?: string
  description?: string
  value?: string
  /** the value was withheld: the key names a secret, or the value carried credentials */
  redacted?: true
}

/** A URL's user:password@, a bearer token. */
const SECRET_IN_VALUE = [/\/\/[^/\s:@]+:[^@\s/]+@/, /bearer\s+\S+/i]

/**
 * The parameters of a run's ExecutionParametersRunFacet (spec/facets/ExecutionParametersRunFacet.json)
 * from its stored facets, in the facet's order, a key given twice kept once (the last). `value` is a
 * string by the schema, yet its own example is the number 3600: numbers and booleans become text.
 * The value of a key naming a secret (password, token, api key, …) or carrying credentials is
 * withheld (`redacted`). Anything that is not such a facet gives none.
 */
export function executionParameters(facets: unknown): ExecutionParameter[] {
  if (!facets || typeof facets !== 'object') return []
  const facet = (facets as Record<string, unknown>)['executionParameters']
  const list =
    facet && typeof facet === 'object' ? (facet as Record<string, unknown>).parameters : []
  if (!Array.isArray(list)) return []
  const out = new Map<string, ExecutionParameter>()
  for (const p of list as unknown[]) {
    if (!p || typeof p !== 'object') continue
    const { key, name, description, value } = p as Record<string, unknown>
    if (typeof key !== 'string' || key.length === 0) continue
    const param: ExecutionParameter = { key }
    if (typeof name === 'string') param.name = name
    if (typeof description === 'string') param.description = description
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : undefined
    if (text !== undefined) {
      if (SECRET_KEY.test(key) || SECRET_IN_VALUE.some((re) => re.test(text))) {
        param.value = '***'
        param.redacted = true
      } else param.value = text.slice(0, 4096)
    }
    out.delete(key)
    out.set(key, param)
  }
  return [...out.values()]
}

export type ParameterChange = {
  key: string
  change: 'added' | 'removed' | 'changed'
  before?: string
  after?: string
}

/** What changed from one run's parameters to the next's, by key: added, removed, changed value. */
export function parameterChanges(
  before: readonly ExecutionParameter[],
  after: readonly ExecutionParameter[],
): ParameterChange[] {
  const was = new Map(before.map((p) => [p.key, p]))
  const now = new Map(after.map((p) => [p.key, p]))
  const out: ParameterChange[] = []
  const entry = (key: string, change: ParameterChange['change'], b?: string, a?: string) => {
    const c: ParameterChange = { key, change }
    if (b !== undefined) c.before = b
    if (a !== undefined) c.after = a
    out.push(c)
  }
  for (const [key, p] of now) {
    const old = was.get(key)
    if (!old) entry(key, 'added', undefined, p.value)
    else if (old.value !== p.value) entry(key, 'changed', old.value, p.value)
  }
  for (const [key, p] of was) if (!now.has(key)) entry(key, 'removed', p.value)
  return out
}
