import { Hono, type Context } from 'hono'
import { describeRoute, generateSpecs, resolver, type GenerateSpecOptions } from 'hono-openapi'
import type { OpenAPIV3_1 } from 'openapi-types'
import { z } from 'zod'
import { ApiErrorSchema } from './errors.ts'
import { renderDocsPage } from './openapi-page.ts'
import { VERSION } from './version.ts'

type Status = 200 | 201 | 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 503
type ResponseDoc = string | { description: string; schema: z.ZodType }

/** A JSON request body a route reads itself (size limits, gzip) and then validates with `schema`. */
export const jsonBody = (schema: z.ZodType, description: string) => ({
  required: true,
  description,
  content: { 'application/json': { schema: resolver(schema) } },
})

const errorContent = { 'application/json': { schema: resolver(ApiErrorSchema) } }

const AUTH_RESPONSES = {
  401: 'no token, or a token that is not valid',
  403: 'the token lacks the scope, or the write names another domain’s rows',
}

/**
 * The OpenAPI description of one route: its resource (tag), what it does, and its answers.
 * A 4xx/5xx answer is the API's error shape; a 2xx one carries its schema where it has one.
 */
export const describe = (
  tag: string,
  summary: string,
  responses: Partial<Record<Status, ResponseDoc>>,
  more: { description?: string; open?: boolean; body?: ReturnType<typeof jsonBody> } = {},
) =>
  describeRoute({
    tags: [tag],
    summary,
    ...(more.description === undefined ? {} : { description: more.description }),
    ...(more.open ? { security: [] } : {}),
    ...(more.body === undefined ? {} : { requestBody: more.body }),
    responses: Object.fromEntries(
      Object.entries({ ...(more.open ? {} : AUTH_RESPONSES), ...responses }).map(([status, r]) => {
        if (typeof r !== 'string')
          return [
            status,
            {
              description: r.description,
              content: { 'application/json': { schema: resolver(r.schema) } },
            },
          ]
        return [
          status,
          Number(status) >= 400 ? { description: r, content: errorContent } : { description: r },
        ]
      }),
    ),
  })

const { $schema: _, ...errorSchema } = z.toJSONSchema(ApiErrorSchema, { io: 'input' })
const ERROR_RESPONSE: OpenAPIV3_1.ResponseObject = {
  description: 'invalid input: the error names the offending field by JSON path',
  content: { 'application/json': { schema: errorSchema as OpenAPIV3_1.SchemaObject } },
}

const DOCUMENTATION: GenerateSpecOptions['documentation'] = {
  info: {
    title: 'meshwatch API',
    version: VERSION,
    description:
      'Lineage and quality of a data mesh (dbt, Airflow, OpenLineage). Every answer is JSON; every refusal is `{"error": {"code", "message", "path"?}}` with a 4xx status.',
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          'A meshwatch token (`meshwatch token create`): read for GET, ingest for the ingestion POSTs, admin for the rest. Not needed while auth is off or for GET with MESHWATCH_PUBLIC_READ.',
      },
    },
  },
  security: [{ bearer: [] }],
}

/** The OpenAPI document of `app`, from the zod schemas its routes validate with. */
function openApiDocument(app: Hono) {
  let doc: ReturnType<typeof generateSpecs> | undefined
  return () =>
    (doc ??= generateSpecs(app, {
      documentation: DOCUMENTATION,
      defaultValidationErrorResponse: ERROR_RESPONSE,
      // /api/openapi.json is a path like any other, not a static file.
      excludeStaticFile: false,
    }))
}

const DocSchema = z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) })

/** GET /api/openapi.json and GET /api/docs (a reference page rendered here: no script, no CDN). */
export const openApiRoutes = (app: Hono) => {
  const document = openApiDocument(app)
  return new Hono()
    .get(
      '/openapi.json',
      describe('meta', 'this OpenAPI 3.1 document', {
        200: { description: 'the document', schema: DocSchema },
      }),
      async (c: Context) => c.json(await document()),
    )
    .get(
      '/docs',
      describe('meta', 'a reference page of this API, from the OpenAPI document', {
        200: 'an HTML page (self-contained: works offline)',
      }),
      async (c: Context) => c.html(renderDocsPage(await document())),
    )
}
