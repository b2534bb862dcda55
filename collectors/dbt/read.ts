import { readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import { CollectorError, type Batch } from '../batch.ts'
import { parseEnvelopes } from './envelopes.ts'
import { datasetNamespace } from './naming.ts'
import { readNode } from './graph.ts'
import { readManifestLean } from './lean-json.ts'
import { mapDbtArtifacts } from './map.ts'
import {
  parseYamlFile,
  readProfileOutput,
  renderTree,
  type Env,
  type ProfileChoice,
} from './profiles.ts'
import type { ArtifactMetadata } from './schema.ts'
import type { KnownColumnLineage } from './column-lineage/index.ts'

export type DbtOptions = {
  /** Where profiles.yml is (else $DBT_PROFILES_DIR, the project dir, ~/.dbt). */
  profilesDir?: string
  /** profiles.yml target (else $DBT_TARGET, else the profile's default). */
  target?: string
  /** Dataset namespace override: skips profiles.yml. */
  namespace?: string
  /** Job namespace (else $OPENLINEAGE_NAMESPACE, else 'default', as dbt-ol). */
  jobNamespace?: string
  /** The dbt project dir (else the parent of the target dir). */
  projectDir?: string
  /** Environment for env_var() in YAML and the variables above; callers pass process.env. */
  env?: Env
  /** false: no column lineage from the models' SQL (see ParseDbtOptions). */
  columnLineage?: boolean
  /** What the store computed before (see ParseDbtOptions). */
  knownColumnLineage?: KnownColumnLineage
}

/**
 * Reads a dbt target/ dir (manifest.json required; run_results.json, sources.json,
 * freshness.json, catalog.json optional) and its project's dbt_project.yml / profiles.yml, and
 * returns one 'dbt' batch. The artifacts are checked (kind, version, one project) before any
 * profile is read.
 */
export async function readDbtTarget(dir: string, opts: DbtOptions = {}): Promise<Batch> {
  const env = opts.env ?? {}
  const info = await stat(dir).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw new CollectorError(`${dir}: not a directory (expected a dbt target/ dir)`, { file: dir })
  }
  const files = {
    manifest: join(dir, 'manifest.json'),
    runResults: join(dir, 'run_results.json'),
    sources: join(dir, 'sources.json'),
    freshness: join(dir, 'freshness.json'),
    catalog: join(dir, 'catalog.json'),
  }
  const [manifest, runResults, sources, freshness, catalog] = await Promise.all([
    // read a window at a time, so the file is not in memory whole beside what is kept of it;
    // without column lineage no node's SQL is read (it is a fifth of a manifest's nodes)
    readJson(files.manifest, true, (file) =>
      readManifestLean(file, {
        sql: opts.columnLineage !== false,
        entry: readNode,
        flatColumns: true,
      }),
    ),
    readJson(files.runResults, false),
    readJson(files.sources, false),
    readJson(files.freshness, false),
    readJson(files.catalog, false),
  ])
  const input = { manifest, runResults, sources, freshness, catalog, files }
  const envelopes = parseEnvelopes(input)
  const { metadata } = envelopes.manifest
  const projectDir = opts.projectDir ?? dirname(resolve(dir))
  const project = await readProject(projectDir, env)
  const namespace =
    opts.namespace ??
    (await namespaceFromProfile(metadata, files.manifest, project, projectDir, opts, env))
  // The SQL parser is loaded only when column lineage is wanted (see mapDbtArtifacts).
  const columnLineage =
    opts.columnLineage === false
      ? undefined
      : (await import('./column-lineage/index.ts')).addColumnLineage
  return mapDbtArtifacts(
    input,
    {
      namespace,
      jobNamespace: opts.jobNamespace ?? env['OPENLINEAGE_NAMESPACE'] ?? 'default',
      ...(project?.name ? { projectName: project.name } : {}),
      ...(opts.columnLineage === false ? { columnLineage: false } : {}),
      ...(opts.knownColumnLineage ? { knownColumnLineage: opts.knownColumnLineage } : {}),
      // MESHWATCH_COLUMN_LINEAGE_WORKERS=0: column lineage in-process (N: N worker threads)
      ...(env['MESHWATCH_COLUMN_LINEAGE_WORKERS']
        ? { columnLineageWorkers: Number(env['MESHWATCH_COLUMN_LINEAGE_WORKERS']) }
        : {}),
    },
    columnLineage,
    envelopes,
  )
}

/** Parsed JSON of a file; undefined if it is optional and absent; CollectorError if not JSON. */
async function readJson(
  file: string,
  required: boolean,
  load: (file: string) => unknown = async (f) => JSON.parse(await readFile(f, 'utf8')),
): Promise<unknown> {
  try {
    return await load(file)
  } catch (cause) {
    if (!isSystemError(cause)) {
      const why = cause instanceof Error ? cause.message : String(cause)
      throw new CollectorError(`${file}: not JSON, or truncated (${why})`, { file, cause })
    }
    if (!required && isNotFound(cause)) return undefined
    throw new CollectorError(
      `${file}: cannot read (${required ? 'required' : 'optional'} dbt artifact)`,
      {
        file,
        cause,
      },
    )
  }
}

/** An error of the file system (open, read), not of the file's content. */
const isSystemError = (e: unknown): boolean => e instanceof Error && 'syscall' in e

const isNotFound = (e: unknown): boolean =>
  e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')

const ProjectSchema = z.object({ name: z.string().min(1), profile: z.string().nullish() })
type Project = z.infer<typeof ProjectSchema>

async function readProject(projectDir: string, env: Env): Promise<Project | undefined> {
  const file = join(projectDir, 'dbt_project.yml')
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const parsed = ProjectSchema.safeParse(renderTree(parseYamlFile(text, file), env, file))
  if (!parsed.success) {
    throw new CollectorError(`${file}: ${z.prettifyError(parsed.error)}`, { file })
  }
  return parsed.data
}

async function namespaceFromProfile(
  meta: ArtifactMetadata,
  manifestFile: string,
  project: Project | undefined,
  projectDir: string,
  opts: DbtOptions,
  env: Env,
): Promise<string> {
  const candidates = [
    join(resolve(projectDir), 'profiles.yml'),
    join(homedir(), '.dbt', 'profiles.yml'),
  ]
  const dir = opts.profilesDir ?? env['DBT_PROFILES_DIR'] ?? (await findProfilesDir(candidates))
  if (!dir) {
    // bigquery is the one adapter whose namespace needs no connection details
    if (meta.adapter_type === 'bigquery') return 'bigquery'
    throw new CollectorError(noProfilesMessage(manifestFile, meta, candidates), {
      file: manifestFile,
    })
  }
  // dbt_project.yml names the profile; without one, the profile named like the manifest's
  // project, else the only profile in the file
  const choice: string | ProfileChoice = project?.profile ?? {
    project: project?.name ?? meta.project_name ?? undefined,
  }
  const given = opts.profilesDir
    ? '--profiles-dir'
    : env['DBT_PROFILES_DIR']
      ? '$DBT_PROFILES_DIR'
      : undefined
  const profilesFile = join(dir, 'profiles.yml')
  if (given && !(await stat(profilesFile).catch(() => undefined))?.isFile()) {
    throw new CollectorError(
      `${profilesFile}: no profiles.yml in ${dir} (given by ${given}); point ${given} at the dir holding it, or pass --namespace <ns>`,
      { file: profilesFile },
    )
  }
  const output = await readProfileOutput(dir, choice, {
    target: opts.target ?? env['DBT_TARGET'],
    env,
  })
  return datasetNamespace(output)
}

/** The namespace form dbt-ol gives each adapter, to show a user what --namespace takes. */
const NAMESPACE_FORMS: Record<string, string> = {
  postgres: 'postgres://<host>:<port>',
  redshift: 'redshift://<host>:<port>',
  snowflake: 'snowflake://<account>',
  databricks: 'databricks://<host>',
  duckdb: 'duckdb://<path as written in profiles.yml>',
  trino: 'trino://<host>:<port>',
  sqlserver: 'mssql://<server>:<port>',
  athena: 'awsathena://athena.<region>.amazonaws.com',
  clickhouse: 'clickhouse://<host>:<port>',
  spark: 'spark://<host>:<port>',
}

function noProfilesMessage(file: string, meta: ArtifactMetadata, looked: string[]): string {
  const adapter = meta.adapter_type ?? undefined
  const form =
    adapter && Object.hasOwn(NAMESPACE_FORMS, adapter) ? NAMESPACE_FORMS[adapter] : undefined
  const hint = form
    ? `the manifest's adapter is ${adapter}, so the namespace dbt-ol would use has the form ${form}`
    : adapter
      ? `the manifest's adapter is ${adapter}`
      : 'the manifest names no adapter'
  return (
    `${file}: cannot name datasets: no profiles.yml found ` +
    `(looked in ${looked.join(' and ')}; $DBT_PROFILES_DIR is not set). ` +
    `Pass --namespace <ns> (${hint}), --profiles-dir <dir holding profiles.yml>, ` +
    `or --project-dir <the dbt project dir, if it is not the target dir's parent>`
  )
}

async function findProfilesDir(candidates: string[]): Promise<string | undefined> {
  for (const file of candidates) {
    const found = await stat(file).catch(() => undefined)
    if (found?.isFile()) return dirname(file)
  }
  return undefined
}
