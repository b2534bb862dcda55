import { basename } from 'node:path'
import { CollectorError } from '../batch.ts'
import { normalizeTime, parseEnvelope } from './envelope.ts'
import {
  CatalogSchema,
  FreshnessSchema,
  ManifestSchema,
  RunResultsSchema,
  type ArtifactMetadata,
} from './schema.ts'

export type DbtFiles = {
  manifest: string
  runResults: string
  sources: string
  freshness: string
  catalog: string
}

export type DbtArtifactsInput = {
  manifest: unknown
  runResults?: unknown
  /** sources.json (`dbt source freshness`) */
  sources?: unknown
  /** freshness.json (dbt Fusion / dbt 2 `dbt freshness`: models and sources) */
  freshness?: unknown
  catalog?: unknown
  /** How to name each file in errors (default: its usual file name). */
  files?: Partial<DbtFiles>
}

type Results = { metadata: ArtifactMetadata; results: unknown[] }

export type Envelopes = {
  manifest: ReturnType<typeof ManifestSchema.parse>
  runResults: ReturnType<typeof RunResultsSchema.parse> | undefined
  sources: Results | undefined
  freshness: Results | undefined
  catalog: ReturnType<typeof CatalogSchema.parse> | undefined
  /** Each file's name in errors: the path given. */
  files: DbtFiles
  /** Each file's name in warnings: its base name, so a batch never depends on where it was read. */
  names: DbtFiles
  /** What the batch should say about how the files relate (not a reason to refuse them). */
  warnings: string[]
}

const DEFAULT_FILES: DbtFiles = {
  manifest: 'manifest.json',
  runResults: 'run_results.json',
  sources: 'sources.json',
  freshness: 'freshness.json',
  catalog: 'catalog.json',
}

/**
 * Checks every given artifact's kind and version, then that they belong to one project:
 * results none of whose nodes the manifest has, or run results newer than the manifest from
 * another invocation, are refused naming both files. Throws CollectorError; returns the envelopes.
 */
export function parseEnvelopes(input: DbtArtifactsInput): Envelopes {
  const files = { ...DEFAULT_FILES, ...input.files }
  const names: DbtFiles = {
    manifest: basename(files.manifest),
    runResults: basename(files.runResults),
    sources: basename(files.sources),
    freshness: basename(files.freshness),
    catalog: basename(files.catalog),
  }
  const optional = <S extends Parameters<typeof parseEnvelope>[3]>(
    kind: Parameters<typeof parseEnvelope>[0],
    json: unknown,
    file: string,
    schema: S,
  ) => (json === undefined ? undefined : parseEnvelope(kind, json, file, schema).data)
  const out: Envelopes = {
    manifest: parseEnvelope('manifest', input.manifest, files.manifest, ManifestSchema).data,
    runResults: optional('run-results', input.runResults, files.runResults, RunResultsSchema),
    sources: optional('sources', input.sources, files.sources, FreshnessSchema),
    freshness: optional('freshness', input.freshness, files.freshness, FreshnessSchema),
    catalog: optional('catalog', input.catalog, files.catalog, CatalogSchema),
    files,
    names,
    warnings: [],
  }
  checkBelonging(out)
  return out
}

const idOf = (raw: unknown): string | undefined =>
  raw !== null && typeof raw === 'object' && 'unique_id' in raw && typeof raw.unique_id === 'string'
    ? raw.unique_id
    : undefined

/** `model.finance.x` → `finance`: the package a unique_id names. */
const packageOf = (id: string): string => id.split('.')[1] ?? id

function checkBelonging(env: Envelopes): void {
  const { manifest, files } = env
  const has = (id: string): boolean =>
    Object.hasOwn(manifest.nodes, id) || Object.hasOwn(manifest.sources ?? {}, id)
  const project = manifest.metadata.project_name ?? undefined
  const manifestDesc = `${files.manifest}${project ? ` (project ${project})` : ''}`
  // Most, not all: a manifest rewritten after a model was removed still has nearly every node;
  // a consumer's catalog also lists the producer's tables dbt-loom injected.
  const check = (file: string, ids: string[], what: string): void => {
    const foreign = ids.filter((id) => !has(id))
    if (ids.length === 0 || foreign.length * 2 <= ids.length) return
    const packages = [...new Set(foreign.map(packageOf))].slice(0, 3).join(', ')
    throw new CollectorError(
      `${file} does not belong with ${manifestDesc}: ${foreign.length === ids.length ? 'none' : `${ids.length - foreign.length}`} of its ${ids.length} ${what} ${foreign.length === ids.length ? 'is' : 'are'} in the manifest (the others name ${packages}: ${foreign[0]}, …); collect each project's artifacts from its own target dir`,
      { file },
    )
  }
  const ids = (items: unknown[] | undefined): string[] =>
    (items ?? []).flatMap((r) => idOf(r) ?? [])
  check(files.runResults, ids(env.runResults?.results), 'results')
  check(files.sources, ids(env.sources?.results), 'freshness results')
  check(files.freshness, ids(env.freshness?.results), 'freshness results')
  if (env.catalog) {
    const tables = [...Object.keys(env.catalog.nodes), ...Object.keys(env.catalog.sources ?? {})]
    check(files.catalog, tables, 'tables')
  }
  checkInvocation(env)
}

/**
 * Every dbt command rewrites manifest.json, so a manifest newer than run_results.json is the
 * usual `dbt build && dbt docs generate`; run results newer than the manifest, from another
 * invocation, were not produced from it.
 */
function checkInvocation(env: Envelopes): void {
  const run = env.runResults?.metadata
  const man = env.manifest.metadata
  if (!run?.invocation_id || !man.invocation_id || run.invocation_id === man.invocation_id) return
  const runAt = normalizeTime(run.generated_at)
  const manAt = normalizeTime(man.generated_at)
  const describe = (m: ArtifactMetadata, at: string | undefined) =>
    `invocation ${m.invocation_id}${at ? ` at ${at}` : ''}`
  if (runAt && manAt && Date.parse(runAt) > Date.parse(manAt)) {
    throw new CollectorError(
      `${env.files.runResults} (${describe(run, runAt)}) does not belong with ${env.files.manifest} (${describe(man, manAt)}): the run results are newer than the manifest and come from another dbt invocation, so the manifest is not the one that run used`,
      { file: env.files.runResults },
    )
  }
  env.warnings.push(
    `${env.names.runResults} is from ${describe(run, runAt)}, ${env.names.manifest} from a later ${describe(man, manAt)}: results are mapped onto the later manifest`,
  )
}
