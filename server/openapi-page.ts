// The reference page at /api/docs, rendered on the server from the OpenAPI document: plain HTML
// and inline CSS, no script and nothing from a CDN, so it works offline and behind a firewall.

import type { OpenAPIV3_1 } from 'openapi-types'

type Operation = OpenAPIV3_1.OperationObject
type Document = Pick<OpenAPIV3_1.Document, 'info' | 'paths'>

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

const esc = (s: unknown): string =>
  String(s).replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  )

/** `integer ≥ 1 ≤ 1000, default 100` style summary of a parameter's JSON schema. */
function schemaText(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return ''
  const s = schema as Record<string, unknown>
  const parts: string[] = []
  if (Array.isArray(s.enum)) parts.push(s.enum.map((v) => JSON.stringify(v)).join(' | '))
  else if (typeof s.type === 'string') parts.push(s.type)
  if (typeof s.minimum === 'number') parts.push(`≥ ${s.minimum}`)
  if (typeof s.maximum === 'number') parts.push(`≤ ${s.maximum}`)
  if (typeof s.maxLength === 'number') parts.push(`at most ${s.maxLength} chars`)
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`)
  return parts.join(' ')
}

function operationHtml(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? [])
    .flatMap((p) => ('$ref' in p ? [] : [p]))
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'required' : ''}</td><td>${esc(schemaText(p.schema))}</td><td>${esc(p.description ?? '')}</td></tr>`,
    )
    .join('')
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      if ('$ref' in r) return ''
      const schema = r.content?.['application/json']?.schema
      const shape = schema
        ? `<details><summary>schema</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`
        : ''
      return `<li><b>${esc(status)}</b> ${esc(r.description ?? '')}${shape}</li>`
    })
    .join('')
  const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, '-')
  return `<section class="op" id="${esc(id)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code>${op.security?.length === 0 ? ' <small>(no token)</small>' : ''}</h3>
<p>${esc(op.summary ?? '')}</p>${op.description ? `<p>${esc(op.description)}</p>` : ''}
${params ? `<table><thead><tr><th>parameter</th><th>in</th><th></th><th>schema</th><th></th></tr></thead><tbody>${params}</tbody></table>` : ''}
${op.requestBody && !('$ref' in op.requestBody) ? `<p>Request body: ${esc(Object.keys(op.requestBody.content).join(', ') || 'JSON')}${op.requestBody.description ? ` — ${esc(op.requestBody.description)}` : ''}</p>` : ''}
<ul class="responses">${responses}</ul>
</section>`
}

/** The whole page: operations grouped by tag, in document order. */
export function renderDocsPage(doc: Document): string {
  const byTag = new Map<string, string[]>()
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method]
      if (!op) continue
      const tag = op.tags?.[0] ?? 'other'
      const list = byTag.get(tag) ?? []
      list.push(operationHtml(method, path, op))
      byTag.set(tag, list)
    }
  }
  const toc = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ')
  const body = [...byTag]
    .map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>\n${ops.join('\n')}`)
    .join('\n')
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(doc.info?.title ?? 'API')} reference</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #1d2330 }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em }
pre { background: #f4f5f7; padding: 0.5rem; overflow: auto; max-height: 24rem }
.op { border-top: 1px solid #dde; padding: 0.5rem 0 }
.m { display: inline-block; min-width: 3.5rem; text-align: center; border-radius: 4px; color: #fff; font-size: 0.8em; padding: 0.1rem 0.3rem }
.m.get { background: #2a6fdb } .m.post { background: #1e8e3e } .m.put, .m.patch { background: #b06f00 } .m.delete { background: #c5221f }
table { border-collapse: collapse; font-size: 0.9em } td, th { border-bottom: 1px solid #eee; padding: 0.2rem 0.5rem; text-align: left }
</style></head>
<body>
<h1>${esc(doc.info?.title ?? 'API')} <small>${esc(doc.info?.version ?? '')}</small></h1>
<p>${esc(doc.info?.description ?? '')}</p>
<p>The machine-readable document: <a href="/api/openapi.json"><code>/api/openapi.json</code></a> (OpenAPI 3.1).</p>
<nav>${toc}</nav>
${body}
</body>
</html>
`
}
