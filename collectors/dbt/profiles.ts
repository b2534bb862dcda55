import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { CollectorError } from '../batch.ts'
import { ProfileOutputSchema, type ProfileOutput } from './naming.ts'
import { own } from '../own.ts'

export type Env = Readonly<Record<string, string | undefined>>

// {{ env_var('NAME') }}, {{ env_var("NAME", 'default') }}, {{ env_var('PORT', 5432) | as_number }}
const ENV_VAR_RE =
  /\{\{\s*env_var\(\s*(['"])([^'"]+)\1\s*(?:,\s*(?:(['"])(.*?)\3|([\w.-]+))\s*)?\)\s*((?:\|\s*\w+\s*)*)\}\}/g
const WHOLE_RE = new RegExp(`^\\s*${ENV_VAR_RE.source}\\s*$`)
const NUMERIC_FILTERS = ['as_number', 'int', 'float']

/**
 * Renders the `env_var` calls of one profiles.yml / dbt_project.yml string the way dbt does.
 * Other Jinja is left as written (dbt-ol renders unknown names back to themselves).
 */
export function renderEnvVars(value: string, env: Env, file: string): string | number {
  const lookup = (name: string, quoted?: string, bare?: string): string => {
    const fromEnv = own(env, name)
    if (fromEnv !== undefined) return fromEnv
    const fallback = quoted ?? bare
    if (fallback !== undefined) return fallback
    // dbt's own words first; then what the user can do about it.
    const or = /profiles\.ya?ml$/.test(file)
      ? ', or pass --namespace <ns> to name datasets without reading profiles.yml'
      : ''
    throw new CollectorError(
      `${file}: env var required but not provided: '${name}' (set ${name}, as dbt needs it${or})`,
      { file },
    )
  }
  const whole = WHOLE_RE.exec(value)
  if (whole) {
    const rendered = lookup(whole[2] ?? '', whole[4], whole[5])
    const filters = (whole[6] ?? '').split('|').map((f) => f.trim())
    const numeric = filters.some((f) => NUMERIC_FILTERS.includes(f))
    return numeric && rendered.trim() !== '' && !Number.isNaN(Number(rendered))
      ? Number(rendered)
      : rendered
  }
  return value.replace(ENV_VAR_RE, (_m, _q, name: string, _q2, quoted?: string, bare?: string) =>
    lookup(name, quoted, bare),
  )
}

/** Deeply renders env_var calls in every string of a parsed YAML value. */
export function renderTree(value: unknown, env: Env, file: string): unknown {
  if (typeof value === 'string') return renderEnvVars(value, env, file)
  if (Array.isArray(value)) return value.map((v) => renderTree(v, env, file))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTree(v, env, file)]))
  }
  return value
}

/*
 * dbt reads only the profile it uses (dbt-core 1.11 config/profile.py from_raw_profiles): other
 * top-level keys may hold anything (`config:` flags, YAML anchors), and only a mapping with
 * `outputs` is a profile. https://docs.getdbt.com/docs/core/connect-data-platform/profiles.yml
 */
const ProfilesFileSchema = z.record(z.string(), z.unknown())
const ProfileSchema = z
  .object({ target: z.string().nullish(), outputs: z.record(z.string(), z.unknown()) })
  .loose()
/** Top-level keys of profiles.yml that dbt reads as settings, never as a profile. */
const NOT_PROFILES = new Set(['config'])

const isProfile = (key: string, value: unknown): boolean =>
  !NOT_PROFILES.has(key) && ProfileSchema.safeParse(value).success

/** The profiles of a parsed profiles.yml: its top-level mappings with `outputs`. */
export function profileNames(parsed: Record<string, unknown>): string[] {
  return Object.entries(parsed)
    .filter(([key, value]) => isProfile(key, value))
    .map(([key]) => key)
}

/** Parses YAML text, refusing it whole (as a CollectorError naming the file) if malformed. */
export function parseYamlFile(text: string, file: string): unknown {
  try {
    // dbt reads YAML with PyYAML, which applies YAML 1.1 merge keys (`<<: *anchor`)
    return parseYaml(text, { merge: true })
  } catch (cause) {
    throw new CollectorError(`${file}: not valid YAML`, { file, cause })
  }
}

/**
 * Picks one output of profiles.yml text: profile `profileName`, target `target` (else the
 * profile's default target), with env_var rendered only inside what is used, as dbt does.
 */
export function selectProfileOutput(
  text: string,
  file: string,
  profileName: string | ProfileChoice,
  opts: { target?: string | undefined; env: Env },
): ProfileOutput {
  const top = ProfilesFileSchema.safeParse(parseYamlFile(text, file))
  if (!top.success) {
    throw new CollectorError(`${file}: expected a mapping of profile names to profiles`, { file })
  }
  const name =
    typeof profileName === 'string' ? profileName : chooseProfile(top.data, file, profileName)
  const raw = NOT_PROFILES.has(name) ? undefined : own(top.data, name)
  if (raw === undefined) throw new CollectorError(`${file}: no profile '${name}'`, { file })
  const parsed = ProfileSchema.safeParse(raw)
  if (!parsed.success) {
    throw new CollectorError(`${file}: profile '${name}': ${z.prettifyError(parsed.error)}`, {
      file,
    })
  }
  const profile = parsed.data
  const defaultTarget = profile.target
    ? String(renderEnvVars(profile.target, opts.env, file))
    : undefined
  const target = opts.target ?? defaultTarget
  if (!target) throw new CollectorError(`${file}: profile '${name}' has no target`, { file })
  const output = own(profile.outputs, target)
  if (output === undefined) {
    throw new CollectorError(`${file}: profile '${name}' has no output '${target}'`, {
      file,
    })
  }
  const result = ProfileOutputSchema.safeParse(renderTree(output, opts.env, file))
  if (!result.success) {
    throw new CollectorError(
      `${file}: ${name}.outputs.${target}: ${z.prettifyError(result.error)}`,
      {
        file,
      },
    )
  }
  return result.data
}

/** Without a dbt_project.yml naming the profile: the one named like the project, else the only one. */
export type ProfileChoice = { project: string | undefined }

function chooseProfile(
  parsed: Record<string, unknown>,
  file: string,
  choice: ProfileChoice,
): string {
  const names = profileNames(parsed)
  if (choice.project !== undefined && names.includes(choice.project)) return choice.project
  const [only, ...more] = names
  if (only !== undefined && more.length === 0) return only
  const wanted = choice.project
    ? `none is named '${choice.project}' (the manifest's project) and `
    : ''
  throw new CollectorError(
    names.length === 0
      ? `${file}: has no profile (a top-level mapping with 'outputs')`
      : `${file}: cannot choose a profile: ${wanted}it has ${names.length} (${names.join(', ')}); pass --project-dir to the dbt project whose dbt_project.yml names one`,
    { file },
  )
}

/** Reads `<dir>/profiles.yml` and selects one output (see selectProfileOutput). */
export async function readProfileOutput(
  dir: string,
  profileName: string | ProfileChoice,
  opts: { target?: string | undefined; env: Env },
): Promise<ProfileOutput> {
  const file = join(dir, 'profiles.yml')
  const text = await readFile(file, 'utf8').catch((cause: unknown) => {
    throw new CollectorError(`${file}: cannot read profiles.yml`, { file, cause })
  })
  return selectProfileOutput(text, file, profileName, opts)
}
