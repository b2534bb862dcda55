import { Hono, type Context } from 'hono'
import { accepts } from 'hono/accepts'
import { z } from 'zod'
import { EMPTY_CONFIG } from '../config-file.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { describe } from '../openapi.ts'
import { productStandards, renderStandard, type StandardFormat } from '../standards/documents.ts'
import { validate } from '../validate.ts'

const ProductParamSchema = z.object({ id: z.string().min(1) })

const YAML = 'application/yaml'
const JSON_TYPE = 'application/json'

/** YAML unless the client prefers JSON (`Accept: application/json`). */
function formatOf(c: Context): StandardFormat {
  const type = accepts(c, {
    header: 'Accept',
    supports: [YAML, 'application/x-yaml', 'text/yaml', JSON_TYPE],
    default: YAML,
  })
  return type === JSON_TYPE ? 'json' : 'yaml'
}

function send(c: Context, doc: unknown, extra: Record<string, string> = {}) {
  const format = formatOf(c)
  return c.body(renderStandard(doc, format), 200, {
    'content-type':
      format === 'json' ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8',
    vary: 'Accept',
    ...extra,
  })
}

/** A product in the open standards: its ODPS descriptor and its ODCS contract (stored or generated). */
export const productStandardRoutes = (deps: Deps) => {
  const standards = (c: Context) =>
    productStandards(deps.store, deps.meshwatch ?? EMPTY_CONFIG, {
      baseUrl: new URL(c.req.url).origin,
    })
  return new Hono()
    .get(
      '/:id/odps',
      describe(
        'standards',
        'the product as an ODPS v1.0.0 descriptor (YAML, or JSON with Accept: application/json)',
        {
          200: 'the descriptor, valid against the official ODPS v1.0.0 schema',
          404: 'unknown product',
        },
      ),
      validate('param', ProductParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        const doc = await (await standards(c)).odps(id)
        if (!doc) return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        return send(c, doc)
      },
    )
    .get(
      '/:id/odcs',
      describe(
        'standards',
        'the product’s ODCS contract: the stored one, or one generated (v3.1.0, draft) from what meshwatch observes',
        {
          200: 'the contract (YAML, or JSON with Accept: application/json); header meshwatch-contract-source says stored or generated',
          404: 'unknown product',
        },
      ),
      validate('param', ProductParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        const out = await (await standards(c)).odcs(id)
        if (!out) return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        return send(c, out.document, { 'meshwatch-contract-source': out.source })
      },
    )
}
