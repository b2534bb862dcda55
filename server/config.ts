import { z } from 'zod'
import { AUTH_MODES, type AuthSettings } from './auth.ts'
import { DEFAULT_LIMITS, type BodyLimits } from './body.ts'

const Flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  MESHWATCH_DB: z.string().min(1).default('./data/meshwatch.db'),
  MESHWATCH_CONFIG: z.string().optional(),
  /** Raw OpenLineage events older than this are pruned (their lineage is kept); unset keeps all. */
  MESHWATCH_RAW_RETENTION_DAYS: z.coerce.number().positive().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** auto: tokens are required as soon as one exists; required: always; off: never (local use only). */
  MESHWATCH_AUTH: z.enum(AUTH_MODES).default('auto'),
  /** GET routes (and so the web view) without a token. */
  MESHWATCH_PUBLIC_READ: Flag.default(false),
  MESHWATCH_MAX_BODY_BYTES: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxBytes),
  MESHWATCH_MAX_DECOMPRESSED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_LIMITS.maxDecompressedBytes),
  MESHWATCH_MAX_JSON_DEPTH: z.coerce
    .number()
    .int()
    .min(2)
    .max(1000)
    .default(DEFAULT_LIMITS.maxDepth),
  MESHWATCH_MAX_STRING_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_LIMITS.maxStringBytes),
})
export type Env = z.infer<typeof EnvSchema>

/** Reads settings from the environment; returns the problems instead of exiting. */
export function loadConfig(
  env: Record<string, string | undefined>,
): { ok: true; env: Env } | { ok: false; message: string } {
  const r = EnvSchema.safeParse(env)
  if (r.success) return { ok: true, env: r.data }
  return {
    ok: false,
    // Names the variable as the user sets it (MESHWATCH_PORT), not as a JSON path ($.MESHWATCH_PORT).
    message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
  }
}

/** The auth and body-limit parts of the settings, as createApp's deps take them. */
export const securityOf = (env: Env): { auth: AuthSettings; limits: BodyLimits } => ({
  auth: { mode: env.MESHWATCH_AUTH, publicRead: env.MESHWATCH_PUBLIC_READ },
  limits: {
    maxBytes: env.MESHWATCH_MAX_BODY_BYTES,
    maxDecompressedBytes: env.MESHWATCH_MAX_DECOMPRESSED_BYTES,
    maxDepth: env.MESHWATCH_MAX_JSON_DEPTH,
    maxStringBytes: env.MESHWATCH_MAX_STRING_BYTES,
  },
})
