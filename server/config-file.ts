import { readFileSync } from 'node:fs'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import { z } from 'zod'
import { RefSchema } from '../collectors/batch.ts'
import { COLUMN_LEVELS } from './gate/column-impact.ts'
import { GateWaiverSchema } from './gate/waivers.ts'
import { POLICY_SEVERITIES, type GovernanceConfig } from './quality/governance.ts'
import { SlaSchema } from './quality/sla.ts'
import { DomainIncidentsSchema, IncidentsConfigSchema } from './incidents/config.ts'
import { routeIssues } from './incidents/route-checks.ts'
import { own } from '../collectors/own.ts'
import { splitCredentials } from '../collectors/airflow/url.ts'

const Severity = z.enum(['warn', 'breach'])

/** Where a domain's alerts go; the webhook URL itself stays in the environment. */
export const SlackRouteSchema = z.strictObject({
  webhook_env: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an environment variable name like SLACK_WEBHOOK_SALES')
    .optional(),
  channel: z.string().min(1).optional(),
  mention: z.string().min(1).optional(),
})
export const SlackSchema = SlackRouteSchema.extend({
  /** Per-severity overrides of the route (e.g. breaches to an on-call channel). */
  routes: z.partialRecord(Severity, SlackRouteSchema).optional(),
})

const PolicySettingSchema = z.strictObject({
  severity: z.enum(POLICY_SEVERITIES).optional(),
  enabled: z.boolean().optional(),
})

const DateLike = z.union([z.iso.date(), z.iso.datetime({ offset: true })])

export const WaiverSchema = z.strictObject({
  policy: z.string().min(1),
  reason: z.string().min(3),
  expires: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), DateLike),
  target: z
    .string()
    .regex(/^(product|dataset|job):.+/, 'expected product:<id>, dataset:<name> or job:<name>')
    .optional(),
})

export const DomainConfigSchema = z.strictObject({
  owner: z.string().min(1).optional(),
  description: z.string().optional(),
  slack: SlackSchema.optional(),
  policies: z.record(z.string(), PolicySettingSchema).optional(),
  waivers: z.array(WaiverSchema).optional(),
  /** Where this domain's incidents, and the upstream ones that affect it, are delivered. */
  incidents: DomainIncidentsSchema.optional(),
})

const OutputRef = z.union([z.string().min(1), RefSchema])

export const ProductConfigSchema = z.strictObject({
  name: z.string().min(1).optional(),
  domain: z.string().min(1).optional(),
  owner: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Output datasets: `namespace/name` isn't unique enough, so a string matches a dataset name (or its suffix). */
  outputs: z.array(OutputRef).optional(),
  sla: SlaSchema.optional(),
  /** Routing tags (incident routes' `tags:`), besides the dbt and contract tags of its outputs. */
  tags: z.array(z.string().min(1)).optional(),
})

/** Orchestration a collector cannot see: job `job` (name, e.g. finance_ledger.load_ledger) writes dataset `writes`. */
export const LinkSchema = z.strictObject({ job: z.string().min(1), writes: z.string().min(1) })

/** One Airflow the server polls; secrets are named by env var, never written in the file. */
export const AirflowSourceSchema = z.strictObject({
  url: z.url().refine((u) => !splitCredentials(u).hadCredentials, {
    message:
      'credentials in the URL are refused (the URL is stored and shown); give username and password_env instead',
  }),
  username: z.string().min(1).optional(),
  password_env: z.string().min(1).optional(),
  token_env: z.string().min(1).optional(),
  api_version: z.enum(['v1', 'v2']).optional(),
  interval_seconds: z.number().int().min(10).default(300),
  /** OPENLINEAGE_NAMESPACE of the Airflow OpenLineage provider, so its events land on these jobs. */
  namespace: z.string().min(1).optional(),
  timeout_ms: z.number().int().min(100).optional(),
  retries: z.number().int().min(0).max(10).optional(),
})
export type AirflowSourceConfig = z.infer<typeof AirflowSourceSchema>

export const MeshwatchConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    defaults: z.strictObject({ sla: SlaSchema.optional() }).optional(),
    evaluation: z
      .strictObject({
        interval_seconds: z.number().int().min(5).optional(),
        /** Store an unchanged evaluation at most this often (a heartbeat in the history). */
        heartbeat_minutes: z.number().int().min(1).optional(),
      })
      .optional(),
    gate: z
      .strictObject({
        max_score_drop: z.number().min(0).max(100).optional(),
        fail_on: Severity.optional(),
        /** Known regressions the CI gate accepts until they expire (server/gate/waivers.ts). */
        waivers: z.array(GateWaiverSchema).optional(),
        /** A breaking column change no consumer reads: a note (used-only) or a failure (strict). */
        column_level: z.enum(COLUMN_LEVELS).optional(),
      })
      .optional(),
    slack: SlackSchema.optional(),
    /** Slack alert timing (server/alerts/): a reminder while a product stays not ok, every this many minutes. */
    alerts: z.strictObject({ reminder_minutes: z.number().int().min(1).optional() }).optional(),
    /** Incidents (server/incidents/config.ts): reopening, Slack's signing secret, the default routes. */
    incidents: IncidentsConfigSchema.optional(),
    domains: z.record(z.string().min(1), DomainConfigSchema).optional(),
    products: z.record(z.string().min(1), ProductConfigSchema).optional(),
    policies: z.record(z.string(), PolicySettingSchema).optional(),
    links: z.array(LinkSchema).optional(),
    collectors: z.strictObject({ airflow: z.array(AirflowSourceSchema).optional() }).optional(),
    /** ODCS contract files or directories (relative to this file) that `serve` loads at start. */
    contracts: z.array(z.string().min(1)).optional(),
  })
  .superRefine((cfg, ctx) => {
    for (const issue of routeIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue })
  })
export type MeshwatchConfig = z.infer<typeof MeshwatchConfigSchema>

export const EMPTY_CONFIG: MeshwatchConfig = { version: 1 }

export interface ConfigIssue {
  file: string
  line: number
  column: number
  path: string
  message: string
}

/** A meshwatch.yml that does not parse or validate; every issue names file:line and the field. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly issues: ConfigIssue[]
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'))
    this.issues = issues
  }
}

export const formatIssue = (i: ConfigIssue): string =>
  `${i.file}:${i.line}:${i.column}: ${i.path}: ${i.message}`

/** Parses and validates meshwatch.yml text; throws ConfigError naming file, line and field. */
export function parseConfig(text: string, file: string): MeshwatchConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0])
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: '$',
          message: e.message.split('\n')[0] ?? 'invalid YAML',
        }
      }),
    )
  }
  const r = MeshwatchConfigSchema.safeParse(doc.toJS() ?? {})
  if (r.success) return r.data
  throw new ConfigError(
    r.error.issues.map((issue) => {
      const { offset, path } = locate(
        doc,
        issue.path,
        issue.code === 'unrecognized_keys' ? issue.keys : undefined,
      )
      const pos = lineCounter.linePos(offset)
      return { file, line: pos.line, column: pos.col, path, message: issue.message }
    }),
  )
}

/** Reads and validates a meshwatch.yml file. */
export function loadConfigFile(file: string): MeshwatchConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ConfigError([
      {
        file,
        line: 0,
        column: 0,
        path: '$',
        message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      },
    ])
  }
  return parseConfig(text, file)
}

/** The deepest YAML node on the issue's path (or the unknown key itself), as an offset and a dotted path. */
function locate(
  doc: Document,
  path: readonly PropertyKey[],
  unknownKeys?: readonly string[],
): { offset: number; path: string } {
  let node: unknown = doc.contents
  let offset = rangeStart(node) ?? 0
  const names: string[] = []
  const segs: PropertyKey[] = [
    ...path,
    ...(unknownKeys && unknownKeys.length > 0 ? [unknownKeys[0] ?? ''] : []),
  ]
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))
      if (!pair) break
      names.push(String(seg))
      // Point at the key of an unknown field, at the value otherwise.
      offset =
        (seg === segs.at(-1) && unknownKeys
          ? rangeStart(pair.key)
          : (rangeStart(pair.value) ?? rangeStart(pair.key))) ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      names.push(`[${seg}]`)
      node = node.items[seg]
      offset = rangeStart(node) ?? offset
    } else break
  }
  const dotted = segs
    .map((s) => (typeof s === 'number' ? `[${s}]` : String(s)))
    .join('.')
    .replace(/\.\[/g, '[')
  return { offset, path: dotted === '' ? '$' : dotted }
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const r = (node as { range?: [number, number, number] | null }).range
    return r?.[0]
  }
  return undefined
}

/** The governance part of the config, as the pure policy checker reads it. */
export function governanceOf(cfg: MeshwatchConfig): GovernanceConfig {
  return {
    policies: cfg.policies,
    domains: Object.fromEntries(
      Object.entries(cfg.domains ?? {}).map(([name, d]) => [
        name,
        { policies: d.policies, waivers: d.waivers },
      ]),
    ),
  }
}

export interface SlackTarget {
  webhookEnv: string
  channel?: string
  mention?: string
  /** Which config level decided the webhook: the domain's severity route, the domain, or the top-level default. */
  from: 'domain-severity' | 'domain' | 'default-severity' | 'default'
}

/**
 * Where an alert of `severity` for `domain` goes: the domain's route for that severity, then the
 * domain's route, then the top-level slack default (each level fills what the more specific lacks).
 */
export function resolveSlackRoute(
  cfg: MeshwatchConfig,
  domain: string,
  severity: 'warn' | 'breach',
): SlackTarget | undefined {
  const d = own(cfg.domains, domain)?.slack
  const levels: [SlackTarget['from'], z.infer<typeof SlackRouteSchema> | undefined][] = [
    ['domain-severity', d?.routes?.[severity]],
    ['domain', d],
    ['default-severity', cfg.slack?.routes?.[severity]],
    ['default', cfg.slack],
  ]
  const pick = <K extends 'webhook_env' | 'channel' | 'mention'>(k: K) =>
    levels.find(([, l]) => l?.[k] !== undefined)
  const hook = pick('webhook_env')
  if (!hook) return undefined
  const channel = pick('channel')?.[1]?.channel
  const mention = pick('mention')?.[1]?.mention
  return {
    webhookEnv: hook[1]?.webhook_env ?? '',
    from: hook[0],
    ...(channel ? { channel } : {}),
    ...(mention ? { mention } : {}),
  }
}
