import { Hono } from 'hono'
import { z } from 'zod'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const BaselineQuerySchema = z.object({ project: z.string().min(1).max(512) })

/**
 * GET /api/gate/baseline?project=<dbt project>: what `meshwatch gate --server` compares a pull
 * request with: the latest collected batch of every dbt project (the mesh) and Airflow instance,
 * and the current version of every stored ODCS contract (the gate keeps those of the project).
 */
export const gateRoutes = (deps: Deps) =>
  new Hono().get(
    '/baseline',
    describe('gate', 'what `meshwatch gate --server` compares a pull request with', {
      200: 'the latest collected batch of every dbt project and Airflow instance, and every current contract',
      404: 'the dbt project was never collected',
    }),
    validate('query', BaselineQuerySchema),
    async (c) => {
      const { project } = c.req.valid('query')
      const rows = await deps.store.gate.latestSnapshotBatches()
      if (!rows.some((r) => r.kind === 'dbt' && r.scope === `dbt:${project}`)) {
        return c.json(errorBody('not_found', `no dbt project ${project} has been collected`), 404)
      }
      const batches: unknown[] = rows.map((r) => JSON.parse(r.payload))
      const contracts = (await deps.store.contracts.currentContracts()).map((r) => ({
        file: r.sourceFile ?? `${r.contractId}.odcs.json`,
        document: r.document,
      }))
      return c.json({ project, batches, contracts })
    },
  )
