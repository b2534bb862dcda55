import { Hono } from 'hono'
import { z } from 'zod'
import { productContracts } from '../contracts/section.ts'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { evaluateProducts } from '../evaluate.ts'
import { statusSince } from '../quality/history.ts'
import { slaWithSources, type EffectiveSla } from '../quality/sla.ts'
import { validate } from '../validate.ts'

/** `{freshness: {max_age_hours: {value, source}}}`: the effective SLA with each value's source. */
export const nestSla = (sla: EffectiveSla) => ({
  ...slaWithSources(sla),
  /** Lowest first: a later declaration overrides an earlier one, field by field. */
  precedence: SLA_PRECEDENCE,
  declared: sla.declared,
  warnings: sla.warnings,
})

const SLA_PRECEDENCE = [
  'default',
  'meshwatch.yml defaults.sla',
  'dbt_meta (meta.meshwatch.sla)',
  'contract (ODCS slaProperties, rowCount)',
  'meshwatch.yml products.<id>.sla',
]

const HistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(5000).default(500),
})

const ProductsQuerySchema = z.object({ domain: z.string().optional() })
const ProductParamSchema = z.object({ id: z.string().min(1) })

/** The product catalog, one product with its effective SLA, its score history and root cause. */
export const productRoutes = (deps: Deps) =>
  new Hono()
    .get(
      '/',
      describe('catalog', 'the data products, with their outputs and latest evaluation', {
        200: 'the products',
      }),
      validate('query', ProductsQuerySchema),
      async (c) => {
        const { domain } = c.req.valid('query')
        return c.json({
          products: await deps.store.catalog.listProducts(domain === undefined ? {} : { domain }),
        })
      },
    )
    .get(
      '/:id',
      describe('catalog', 'one product with its effective SLA and since when its status holds', {
        200: 'the product, its outputs, latest evaluation, effective SLA (each value with its source: default, meshwatch.yml, dbt_meta or contract) and its ODCS contracts checked now',
        404: 'unknown product',
      }),
      validate('param', ProductParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        const p = await deps.store.catalog.getProduct(id)
        if (!p) return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        const since = statusSince(await deps.store.qualityStore.evaluationHistory(p.id, 1000))
        const { sla, contracts } = await productContracts(deps, p)
        return c.json({
          ...p,
          effectiveSla: nestSla(sla),
          since: since?.since ?? null,
          contracts,
        })
      },
    )
    .get(
      '/:id/history',
      describe(
        'quality',
        'the evaluations of a product over time, and since when its status holds',
        {
          200: 'the current status, since when, and the evaluations, newest first',
          404: 'unknown product',
        },
      ),
      validate('param', ProductParamSchema),
      validate('query', HistoryQuerySchema),
      async (c) => {
        const { id } = c.req.valid('param')
        if (!(await deps.store.catalog.getProduct(id)))
          return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        const evaluations = await deps.store.qualityStore.evaluationHistory(
          id,
          c.req.valid('query').limit,
        )
        const current = statusSince(evaluations)
        return c.json({
          productId: id,
          status: current?.status ?? null,
          since: current?.since ?? null,
          evaluations,
        })
      },
    )
    .get(
      '/:id/root-cause',
      describe('quality', 'a product evaluated now, with the upstream chain to blame', {
        200: 'status, score, dimensions and the root cause',
        404: 'unknown product',
      }),
      validate('param', ProductParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        if (!(await deps.store.catalog.getProduct(id)))
          return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        const [e] = (await evaluateProducts(deps, { productIds: [id], store: false })).evaluations
        if (!e) return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        return c.json({
          productId: id,
          evaluatedAt: e.evaluatedAt,
          status: e.status,
          score: e.score,
          dimensions: e.dimensions,
          rootCause: e.rootCause,
        })
      },
    )
