import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Logger } from '../../server/deps.ts'
import { startServer } from '../../server/main.ts'

const started: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of started.splice(0)) await close()
})

async function serveWith(webDir: string) {
  const lines: string[] = []
  const log: Logger = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  }
  const dir = mkdtempSync(join(tmpdir(), 'mw-page-'))
  const s = await startServer({
    dbFile: join(dir, 'store.db'),
    port: 0,
    host: '127.0.0.1',
    demo: false,
    log,
    webDir,
  })
  started.push(() => new Promise((resolve) => s.server.close(() => resolve())))
  return { url: s.url, lines }
}

describe('serve and the web page', () => {
  it('without a built page, says how to build it: in the log and as an HTML page on GET /', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'mw-nodist-')), 'dist')
    const { url, lines } = await serveWith(missing)
    const warning = lines.find((l) => l.startsWith('warn '))
    expect(warning).toContain('npm run build:web')
    expect(warning).toContain(join(missing, 'index.html'))

    for (const path of ['/', '/products/sales.orders']) {
      const res = await fetch(`${url}${path}`)
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toContain('text/html')
      const html = await res.text()
      expect(html).toContain('the web page is not built')
      expect(html).toContain('npm run build:web')
      // where the server looked is for its operator (the log), not for every visitor
      expect(html).not.toContain(missing)
    }
    // the API still answers, and an unknown API path stays a JSON 404
    expect((await fetch(`${url}/api/health`)).status).toBe(200)
    const api = await fetch(`${url}/api/nothing-here`)
    expect(api.status).toBe(404)
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found')
  })

  it('with a built page, serves it on GET / and deep links, and logs no warning', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'mw-dist-'))
    mkdirSync(join(dist, 'assets'))
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>meshwatch page</title>')
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)')
    const { url, lines } = await serveWith(dist)
    expect(lines.filter((l) => l.startsWith('warn '))).toEqual([])
    for (const path of ['/', '/lineage']) {
      const res = await fetch(`${url}${path}`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('meshwatch page')
    }
    expect(await (await fetch(`${url}/assets/app.js`)).text()).toBe('console.log(1)')
    expect((await fetch(`${url}/api/nothing-here`)).status).toBe(404)
  })
})
