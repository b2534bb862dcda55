import { z } from 'zod'
import type { Batch } from '../../collectors/batch.ts'
import { UsageError } from '../commands/shared.ts'
import { parseBatch } from '../ingest.ts'

const BaselineResponseSchema = z.object({ project: z.string(), batches: z.array(z.unknown()) })

/**
 * The baseline a meshwatch server holds (GET /api/gate/baseline?project=): the latest collected
 * batch of every dbt project and Airflow instance. Unreachable or refusing server → UsageError.
 */
export async function fetchBaseline(
  server: string,
  project: string,
  opts: { token?: string | undefined; fetch?: typeof fetch } = {},
): Promise<Batch[]> {
  const f = opts.fetch ?? fetch
  const url = new URL('/api/gate/baseline', server)
  url.searchParams.set('project', project)
  let res: Response
  try {
    res = await f(url.toString(), {
      headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    })
  } catch (e) {
    throw new UsageError(
      `gate: cannot reach ${url.origin}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    )
  }
  const body: unknown = await res.json().catch(() => undefined)
  if (!res.ok) {
    const why = z.object({ error: z.object({ message: z.string() }) }).safeParse(body)
    throw new UsageError(
      `gate: ${url.toString()} answered ${res.status}${why.success ? `: ${why.data.error.message}` : ''}`,
    )
  }
  const parsed = BaselineResponseSchema.safeParse(body)
  if (!parsed.success)
    throw new UsageError(
      `gate: ${url.toString()} did not answer a baseline: ${z.prettifyError(parsed.error)}`,
    )
  return parsed.data.batches.map(parseBatch)
}
