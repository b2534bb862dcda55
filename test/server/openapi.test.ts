import { readdirSync, readFileSync } from 'node:fs'
import { inspectRoutes } from 'hono/dev'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { sqliteStore } from '../../db/store.ts'

const ROOT = new URL('../../', import.meta.url)
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

type Doc = {
  openapi: string
  paths: Record<string, Partial<Record<(typeof METHODS)[number], { parameters?: Param[] }>>>
}
type Param = { name: string; in: string; schema?: { maximum?: number } }

async function loadDoc() {
  const app = createApp({ store: sqliteStore(openDb(':memory:')) })
  const res = await app.request('/api/openapi.json')
  expect(res.status).toBe(200)
  return { app, doc: (await res.json()) as Doc }
}

/** `GET /api/products/{id}` for every operation of the document. */
const operations = (doc: Doc): string[] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
  )

const toOpenApi = (honoPath: string): string => honoPath.replace(/:(\w+)/g, '{$1}')

describe('the OpenAPI document', () => {
  it('describes every route of the app, and nothing else', async () => {
    const { app, doc } = await loadDoc()
    expect(doc.openapi).toMatch(/^3\.1/)
    const routes = inspectRoutes(app)
      .filter((r) => !r.isMiddleware && r.method !== 'ALL')
      .map((r) => `${r.method} ${toOpenApi(r.path)}`)
    expect(routes.length).toBeGreaterThan(20)
    expect([...new Set(routes)].sort()).toEqual(operations(doc).sort())
  })

  it('takes its parameters from the zod schemas the routes validate with', async () => {
    const { app, doc } = await loadDoc()
    const depth = doc.paths['/api/lineage/focus']?.get?.parameters?.find((p) => p.name === 'depth')
    expect(depth).toMatchObject({ in: 'query', schema: { maximum: 20 } })
    // The same bound refuses the request.
    const over = await app.request('/api/lineage/focus?node=dataset:1&depth=21')
    expect(over.status).toBe(400)
    expect(await over.json()).toMatchObject({ error: { path: '$.depth' } })
    const id = doc.paths['/api/datasets/{id}']?.get?.parameters?.find((p) => p.name === 'id')
    expect(id).toMatchObject({ in: 'path' })
  })

  it("documents every API call the web page makes (web/**'s typed client calls)", async () => {
    const { doc } = await loadDoc()
    const documented = operations(doc)
    const calls: string[] = []
    for (const file of readdirSync(new URL('web/', ROOT))) {
      if (!file.endsWith('.ts')) continue
      const src = readFileSync(new URL(`web/${file}`, ROOT), 'utf8')
      // api.api.products[':id'].$get(…) → GET /api/products/{id}
      for (const m of src.matchAll(/\bapi\.api((?:\.\w+|\[':?[\w-]+'\])+)\.\$(get|post)\b/g)) {
        const path = (m[1] ?? '')
          .split(/\.|\[|\]/)
          .filter(Boolean)
          .map((seg) => seg.replace(/^'|'$/g, ''))
          .map((seg) => (seg.startsWith(':') ? `{${seg.slice(1)}}` : seg))
        calls.push(`${(m[2] ?? '').toUpperCase()} /api/${path.join('/')}`)
      }
      // A call not through the typed client would be missed above: there must be none.
      expect(src, `${file} calls the API without the typed client`).not.toMatch(
        /\bfetch\(|getJson\(|['"`]\/api\//,
      )
    }
    expect(calls.length).toBeGreaterThan(5)
    expect(calls.filter((c) => !documented.includes(c))).toEqual([])
  })

  it("is what the README's API table lists", async () => {
    const { doc } = await loadDoc()
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8')
    const section = readme.slice(
      readme.indexOf('\n## API\n'),
      readme.indexOf('\n## ', readme.indexOf('\n## API\n') + 1),
    )
    const rows = [...section.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE)` +\| `([^`]+)` +\|/gm)].map(
      (m) => `${m[1]} ${toOpenApi(m[2] ?? '')}`,
    )
    expect(rows.length).toBeGreaterThan(20)
    expect(rows.sort()).toEqual(operations(doc).sort())
  })

  it('has a reference page at /api/docs that lists every path and loads nothing from the network', async () => {
    const { app, doc } = await loadDoc()
    const res = await app.request('/api/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    const html = await res.text()
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${path}</code>`)
    expect(html).not.toMatch(/<script|<link|@import|src=|https?:\/\//i)
  })

  it('needs a read token like every GET /api/* when auth is on', async () => {
    const app = createApp({
      store: sqliteStore(openDb(':memory:')),
      auth: { mode: 'required', publicRead: false },
    })
    for (const path of ['/api/openapi.json', '/api/docs'])
      expect((await app.request(path)).status).toBe(401)
  })
})
