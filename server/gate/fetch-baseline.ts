import { z } from 'zod'
import type { Batch } from '../../collectors/batch.ts'
import { ContractError, parseContractText } from '../../collectors/contracts/read.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import { UsageError } from '../commands/shared.ts'
import { parseBatch } from '../ingest.ts'

const BaselineResponseSchema = z.object({
  project: z.string(),
  batches: z.array(z.unknown()),
  contracts: z.array(z.object({ file: z.string(), document: z.unknown() })).optional(),
})

/** What a server holds for the gate: the mesh's batches and its current contracts. */
export interface ServerBaseline {
  batches: Batch[]
  /** undefined: a server that predates contracts in the baseline */
  contracts: ContractDoc[] | undefined
}

/**
 * The baseline a meshwatch server holds (GET /api/gate/baseline?project=): the latest collected
 * batch of every dbt project and Airflow instance, and the current version of every contract, each
 * validated again as a contract file is. Unreachable or refusing server, or a contract that does
 * not validate → UsageError.
 */
export async function fetchBaseline(
  server: string,
  project: string,
  opts: { token?: string | undefined; fetch?: typeof fetch } = {},
): Promise<ServerBaseline> {
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
  return {
    batches: parsed.data.batches.map(parseBatch),
    contracts: parsed.data.contracts?.map((c) => contractOf(c, url.origin)),
  }
}

function contractOf(c: { file: string; document: unknown }, origin: string): ContractDoc {
  try {
    return parseContractText(JSON.stringify(c.document), c.file)
  } catch (e) {
    if (e instanceof ContractError)
      throw new UsageError(`gate: a baseline contract from ${origin}: ${e.message}`, { cause: e })
    throw e
  }
}
