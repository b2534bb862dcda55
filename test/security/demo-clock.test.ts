import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { getDemoAnchor } from '../../db/queries/admin.ts'
import { createToken } from '../../db/queries/tokens.ts'
import { SILENT } from '../../server/deps.ts'
import { startServer } from '../../server/main.ts'
import { domainBatch } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'mw-democlock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('token expiry on a store that loaded the demo', () => {
  it('judges expiry on the wall clock, not on the demo clock that scores as of the recording', async () => {
    const s = await startServer({
      dbFile: join(dir, 'store.db'),
      port: 0,
      host: '127.0.0.1',
      demo: true,
      log: SILENT,
      webDir: join(dir, 'no-page'),
    })
    try {
      const anchor = getDemoAnchor(s.db)
      expect(anchor).toBeDefined()
      // The token expired a minute ago, long after the recording the demo clock is anchored on.
      const expiresAt = new Date(Date.now() - 60_000).toISOString()
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.parse(anchor?.recordedAt ?? ''))
      const now = new Date(Date.now() - 3_600_000).toISOString()
      const expired = createToken(s.db, { name: 'old', scope: 'ingest', now, expiresAt })
      const valid = createToken(s.db, {
        name: 'new',
        scope: 'ingest',
        now,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      const get = (t: string) =>
        fetch(`${s.url}/api/products`, { headers: { authorization: `Bearer ${t}` } })
      const post = (t: string) =>
        fetch(`${s.url}/api/batches`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
          body: JSON.stringify(domainBatch('clocktest')),
        })

      const g = await get(expired.token)
      expect(g.status).toBe(401)
      expect(((await g.json()) as { error: { message: string } }).error.message).toMatch(/expired/)
      expect((await post(expired.token)).status).toBe(401)
      expect((await get(valid.token)).status).toBe(200)
      expect((await post(valid.token)).status).toBe(201)
    } finally {
      await new Promise<void>((resolve) => s.server.close(() => resolve()))
    }
  }, 60_000)
})
