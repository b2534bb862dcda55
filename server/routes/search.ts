import { Hono } from 'hono'
import { z } from 'zod'
import { SEARCH_KINDS } from '../../db/queries/search.ts'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { validate } from '../validate.ts'

/** Longest query: a name is rarely longer, and each kind's scan compares every name with it. */
const MAX_QUERY = 100
const MAX_LIMIT = 25

const SearchQuerySchema = z.object({
  q: z.string().trim().min(1).max(MAX_QUERY),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(8),
})

const SearchAnswerSchema = z.object({
  q: z.string(),
  groups: z.array(
    z.object({
      kind: z.enum(SEARCH_KINDS),
      more: z.boolean().describe('more than `limit` matches of this kind'),
      hits: z.array(
        z.object({
          kind: z.enum(SEARCH_KINDS),
          id: z.string(),
          name: z.string(),
          domain: z.string().nullable(),
          detail: z.string().nullable(),
          target: z.string().nullable().describe("a column's dataset id, an owner's domain"),
        }),
      ),
    }),
  ),
})

// Reads are not scoped by domain (server/auth.ts: a read token reads the whole mesh, as the catalog
// and lineage do), so neither is search: a domain's token finds every domain's products.

/** GET /api/search: the page's search box. */
export const searchRoutes = (deps: Deps) =>
  new Hono().get(
    '/',
    describe(
      'catalog',
      'products, domains, owners, datasets, columns, DAGs and jobs whose name contains q',
      {
        200: {
          description: 'non-empty groups in a fixed kind order, best match first in each',
          schema: SearchAnswerSchema,
        },
        400: `q empty or longer than ${MAX_QUERY} characters, or limit outside 1–${MAX_LIMIT}`,
      },
    ),
    validate('query', SearchQuerySchema),
    async (c) => {
      const { q, limit } = c.req.valid('query')
      return c.json({ q, groups: await deps.store.search.searchAll(q, limit) })
    },
  )
