import { formatIssues } from '../../common/format.ts'
import { z } from 'zod'
import { CollectorError } from '../batch.ts'
import { safeParseFast } from './fast-parse.ts'
import { ArtifactHeaderSchema, SCHEMA_VERSION_RE } from './schema.ts'

/** The dbt artifacts we read, by the name dbt uses in dbt_schema_version. */
export const ARTIFACTS = {
  // dbt Fusion 2.0 betas wrote v12-shaped manifests labelled v20 (dbt 2.0.0-beta.46, 2025-08)
  manifest: { file: 'manifest.json', min: 7, max: 12, dbt: '1.3–1.12', also: [20] },
  'run-results': { file: 'run_results.json', min: 4, max: 6, dbt: '1.0–1.12' },
  sources: { file: 'sources.json', min: 1, max: 3, dbt: '0.19–1.12' },
  catalog: { file: 'catalog.json', min: 1, max: 1, dbt: '0.19–1.12' },
  // https://schemas.getdbt.com/dbt/freshness/v0.json: `dbt freshness` of dbt Fusion (dbt 2.x)
  freshness: { file: 'freshness.json', min: 0, max: 0, dbt: 'Fusion 2.0' },
} as const
export type ArtifactKind = keyof typeof ARTIFACTS

/**
 * Checks that `json` is the dbt artifact `kind` in a supported version, then parses its envelope.
 * Throws CollectorError naming the file, its version and the supported range otherwise.
 */
export function parseEnvelope<S extends z.ZodType>(
  kind: ArtifactKind,
  json: unknown,
  file: string,
  schema: S,
): { data: z.infer<S>; version: number } {
  const spec = ARTIFACTS[kind]
  const also: readonly number[] = 'also' in spec ? spec.also : []
  const range = `supported: v${spec.min}–v${spec.max}, dbt ${spec.dbt}${also.length ? `; v${also.join(', v')} of dbt Fusion betas` : ''}`
  const header = ArtifactHeaderSchema.safeParse(json)
  if (!header.success) {
    throw new CollectorError(`${file}: not a dbt artifact (no metadata.dbt_schema_version)`, {
      file,
      cause: header.error,
    })
  }
  const url = header.data.metadata.dbt_schema_version
  const match = SCHEMA_VERSION_RE.exec(url)
  if (!match) {
    throw new CollectorError(`${file}: unknown dbt_schema_version ${url} (${range})`, { file })
  }
  const [, actualKind = '', v = ''] = match
  const version = Number(v)
  if (actualKind !== kind) {
    throw new CollectorError(
      `${file}: is a dbt ${actualKind} artifact (v${version}), expected a dbt ${kind} artifact`,
      { file },
    )
  }
  if ((version < spec.min || version > spec.max) && !also.includes(version)) {
    throw new CollectorError(
      `${file}: dbt ${kind} schema v${version} is not supported (${range})`,
      { file },
    )
  }
  const parsed = safeParseFast(schema, json)
  if (!parsed.success) {
    throw new CollectorError(
      `${file}: bad dbt ${kind} v${version}: ${z.prettifyError(parsed.error)}`,
      {
        file,
        cause: parsed.error,
      },
    )
  }
  return { data: parsed.data, version }
}

/** "$.path: message" for the first zod issue, to name a skipped item in a warning. */
export const firstIssue = (error: z.ZodError): string => formatIssues(error.issues, 1)

const NAIVE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/
const VALID_TIME = z.iso.datetime({ offset: true })
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/

/** dbt writes UTC times, sometimes without a zone: return ISO 8601 with an offset, or undefined. */
export function normalizeTime(value: string | null | undefined): string | undefined {
  if (!value) return undefined
  const t = value.replace(' ', 'T')
  const iso = ISO_TIME.test(t) ? t : NAIVE_TIME.test(t) ? `${t}Z` : undefined
  // The shape alone lets month 13 or hour 99 through, which the batch contract then refuses whole.
  return iso !== undefined && VALID_TIME.safeParse(iso).success ? iso : undefined
}
