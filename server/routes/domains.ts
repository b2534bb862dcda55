import { Hono } from 'hono'
import { z } from 'zod'
import { nowOf, type Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const DomainParamSchema = z.object({ name: z.string().min(1).max(200) })
const TrendQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) })

/** Where a domain is reached: its owner and Slack channel/mention (never the webhook). */
function contactsOf(deps: Deps, name: string) {
  const d = deps.meshwatch?.domains?.[name]
  const slack = d?.slack ?? {}
  return {
    owner: d?.owner ?? null,
    channel: slack.channel ?? null,
    mention: slack.mention ?? null,
    breachChannel: slack.routes?.breach?.channel ?? null,
  }
}

/** GET /api/domains: every domain with its owner and counts; the mesh home's tiles; one domain. */
export const domainRoutes = (deps: Deps) =>
  new Hono()
    .get(
      '/',
      describe('catalog', 'domains with their owner, dataset and product counts', {
        200: 'the domains',
      }),
      async (c) => c.json({ domains: await deps.store.catalog.listDomains() }),
    )
    .get(
      '/overview',
      describe('catalog', "the mesh home: every domain's health, score trend and neighbours", {
        200: 'per domain: products by status, daily score trend, provider and consumer domains',
      }),
      validate('query', TrendQuerySchema),
      async (c) => {
        const now = nowOf(deps)
        const { days } = c.req.valid('query')
        return c.json({
          now: now.toISOString(),
          days,
          domains: await deps.store.domainPage.domainTiles(now, days),
        })
      },
    )
    .get(
      '/:name',
      describe(
        'catalog',
        'one domain: owner, contacts, products with trend, what it publishes and consumes',
        {
          200: 'the domain, its products, published datasets with consumer domains, consumed datasets',
          404: 'unknown domain',
        },
      ),
      validate('param', DomainParamSchema),
      validate('query', TrendQuerySchema),
      async (c) => {
        const { name } = c.req.valid('param')
        const now = nowOf(deps)
        const page = await deps.store.domainPage.domainPage(name, now, c.req.valid('query').days)
        if (!page) return c.json(errorBody('not_found', `unknown domain ${name}`), 404)
        return c.json({ ...page, contacts: contactsOf(deps, name) })
      },
    )
