import { readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import { CollectorError, type Batch } from '../batch.ts'
import { ArtifactHeaderSchema } from './schema.ts'
import { datasetNamespace } from './naming.ts'
import { parseManifestLean } from './lean-json.ts'
import { parseDbtArtifacts } from './parse.ts'
import { parseYamlFile, readProfileOutput, renderTree, type Env } from './profiles.ts'

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
}

/**
 * Reads a dbt target/ dir (manifest.json required; run_results.json, sources.json, catalog.json
 * optional) and its project's dbt_project.yml / profiles.yml, and returns one 'dbt' batch.
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
    catalog: join(dir, 'catalog.json'),
  }
  const [manifest, runResults, sources, catalog] = await Promise.all([
    readJson(files.manifest, true, parseManifestLean),
    readJson(files.runResults, false),
    readJson(files.sources, false),
    readJson(files.catalog, false),
  ])
  const projectDir = opts.projectDir ?? dirname(resolve(dir))
  const project = await readProject(projectDir, env)
  const namespace =
    opts.namespace ??
    (await namespaceFromProfile(manifest, files.manifest, project, projectDir, opts, env))
  return parseDbtArtifacts(
    { manifest, runResults, sources, catalog, files },
    {
      namespace,
      jobNamespace: opts.jobNamespace ?? env['OPENLINEAGE_NAMESPACE'] ?? 'default',
      ...(project?.name ? { projectName: project.name } : {}),
    },
  )
}

/** Parsed JSON of a file; undefined if it is optional and absent; CollectorError if not JSON. */
async function readJson(
  file: string,
  required: boolean,
  parse: (buf: Buffer) => unknown = (buf) => JSON.parse(buf.toString('utf8')),
): Promise<unknown> {
  let buf: Buffer
  try {
    buf = await readFile(file)
  } catch (cause) {
    if (!required && isNotFound(cause)) return undefined
    throw new CollectorError(
      `${file}: cannot read (${required ? 'required' : 'optional'} dbt artifact)`,
      {
        file,
        cause,
      },
    )
  }
  try {
    return parse(buf)
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause)
    throw new CollectorError(`${file}: not JSON, or truncated (${why})`, { file, cause })
  }
}

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
  manifest: unknown,
  manifestFile: string,
  project: Project | undefined,
  projectDir: string,
  opts: DbtOptions,
  env: Env,
): Promise<string> {
  const header = ArtifactHeaderSchema.safeParse(manifest)
  const meta = header.success ? header.data.metadata : undefined
  const profileName = project?.profile ?? project?.name ?? meta?.project_name
  const dir = opts.profilesDir ?? env['DBT_PROFILES_DIR'] ?? (await findProfilesDir(projectDir))
  if (!profileName || !dir) {
    // bigquery is the one adapter whose namespace needs no connection details
    if (meta?.adapter_type === 'bigquery') return 'bigquery'
    throw new CollectorError(
      `${manifestFile}: cannot name datasets: no ${profileName ? 'profiles.yml' : 'dbt_project.yml'} found; pass a namespace or profilesDir`,
      { file: manifestFile },
    )
  }
  const output = await readProfileOutput(dir, profileName, {
    target: opts.target ?? env['DBT_TARGET'],
    env,
  })
  return datasetNamespace(output)
}

async function findProfilesDir(projectDir: string): Promise<string | undefined> {
  for (const dir of [projectDir, join(homedir(), '.dbt')]) {
    const found = await stat(join(dir, 'profiles.yml')).catch(() => undefined)
    if (found?.isFile()) return dir
  }
  return undefined
}
