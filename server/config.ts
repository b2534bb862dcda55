import { z } from 'zod'

export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  MESHWATCH_DB: z.string().min(1).default('./data/meshwatch.db'),
  MESHWATCH_CONFIG: z.string().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
})
export type Env = z.infer<typeof EnvSchema>

/** Reads settings from the environment; returns the problems instead of exiting. */
export function loadConfig(env: Record<string, string | undefined>):
  | { ok: true; env: Env }
  | { ok: false; message: string } {
  const r = EnvSchema.safeParse(env)
  if (r.success) return { ok: true, env: r.data }
  return {
    ok: false,
    message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
  }
}
